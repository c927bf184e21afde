/// Every Redis key of the cluster schema (PROTOCOL.md §2), formatted here and nowhere else.
///
/// Keys are built by plain concatenation, so any room or node id — even one that breaks the naming rules, with `:`
/// or glob characters in it — maps to exactly one key and back. Parsing a key strips the known prefix and suffix
/// (as UTF-8 bytes); it never splits on `:`.
public enum ClusterKeys {
    public static let roomPrefix = "rooms:"
    public static let participantsSuffix = ":participants"
    public static let serverPrefix = "servers:"
    public static let connectionsSuffix = ":connections"
    public static let heartbeatSuffix = ":heartbeat"
    /// An addition to the documented schema: the claim a sweeper holds on a dead node while it sweeps it
    /// (`servers:{node_id}:sweeping`, a string `"<token> <sweeper>"` with a TTL). See `ClusterRegistry.sweep`.
    public static let sweepClaimSuffix = ":sweeping"
    /// The cluster's user-id counter (`INCRBY` in blocks).
    public static let nextUserID = "users:next_id"

    /// `rooms:{room_id}:participants`: hash `user_id` → `node_id`.
    public static func participants(room: String) -> String { roomPrefix + room + participantsSuffix }
    /// `servers:{node_id}:connections`: hash `user_id` → `ConnectionRecord` JSON.
    public static func connections(node: String) -> String { serverPrefix + node + connectionsSuffix }
    /// `servers:{node_id}:heartbeat`: unix seconds, with a TTL.
    public static func heartbeat(node: String) -> String { serverPrefix + node + heartbeatSuffix }
    /// `servers:{node_id}:sweeping`: a sweeper's claim on a dead node.
    public static func sweepClaim(node: String) -> String { serverPrefix + node + sweepClaimSuffix }

    /// The SCAN pattern for participants hashes. `roomGlob` is a Redis glob over room ids (`*` for all); use
    /// `escapeGlob` to match one literal id.
    public static func participantsPattern(roomGlob: String = "*") -> String { roomPrefix + roomGlob + participantsSuffix }
    /// The SCAN pattern for every node's connections hash.
    public static let connectionsPattern = serverPrefix + "*" + connectionsSuffix
    /// The SCAN pattern for every node's heartbeat.
    public static let heartbeatPattern = serverPrefix + "*" + heartbeatSuffix

    /// The room id of a participants key, or nil when the key is not one.
    public static func room(fromParticipantsKey key: String) -> String? { strip(key, roomPrefix, participantsSuffix) }
    /// The node id of a connections key, or nil when the key is not one.
    public static func node(fromConnectionsKey key: String) -> String? { strip(key, serverPrefix, connectionsSuffix) }
    /// The node id of a heartbeat key, or nil when the key is not one.
    public static func node(fromHeartbeatKey key: String) -> String? { strip(key, serverPrefix, heartbeatSuffix) }

    /// Escapes Redis glob metacharacters (`* ? [ ] \`) so that a pattern matches `literal` only.
    public static func escapeGlob(_ literal: String) -> String {
        var out = ""
        out.reserveCapacity(literal.utf8.count)
        for scalar in literal.unicodeScalars {
            if scalar == "*" || scalar == "?" || scalar == "[" || scalar == "]" || scalar == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// The text between `prefix` and `suffix`, compared as UTF-8 bytes (a combining mark after `:` must not hide
    /// the prefix), or nil when `key` lacks either or nothing is left between them.
    static func strip(_ key: String, _ prefix: String, _ suffix: String) -> String? {
        let bytes = Array(key.utf8)
        let p = Array(prefix.utf8), s = Array(suffix.utf8)
        guard bytes.count > p.count + s.count,
              bytes.starts(with: p),
              bytes[(bytes.count - s.count)...].elementsEqual(s)
        else { return nil }
        return String(decoding: bytes[p.count..<(bytes.count - s.count)], as: UTF8.self)
    }
}

/// Every pub/sub channel of the cluster (PROTOCOL.md §2, "Pub/sub").
public enum ClusterChannels {
    /// Membership events, and signals when routing is `broadcast`.
    public static let messages = "cluster:messages"
    /// Node lifecycle: `ServerStarted`, `ServerStopping`, `ServerSwept`.
    public static let events = "cluster:events"
    public static let nodePrefix = "cluster:node:"
    /// Traffic for one node alone (direct signal routing).
    public static func node(_ nodeID: String) -> String { nodePrefix + nodeID }
    /// `PSUBSCRIBE` pattern that sees all cluster traffic.
    public static let allPattern = "cluster:*"

    /// The node id of a `cluster:node:{node_id}` channel, or nil.
    public static func node(fromChannel channel: String) -> String? { ClusterKeys.strip(channel, nodePrefix, "") }
}
