import SignalingProtocol

/// A node-lifecycle event on `cluster:events` (PROTOCOL.md §2), externally tagged:
///
/// ```json
/// {"ServerStarted":{"node_id":"signaling-1","at":1704110400}}
/// {"ServerStopping":{"node_id":"signaling-1","at":1704110400}}
/// {"ServerSwept":{"node_id":"signaling-2","users_removed":12,"by":"signaling-1","at":1704110400}}
/// ```
/// `at` is unix time in whole seconds. Reading ignores unknown members.
public enum ClusterEvent: Sendable, Hashable {
    /// On entering cluster mode, at start or after recovery.
    case serverStarted(nodeID: String, at: Int64)
    /// On graceful shutdown, before deregistering.
    case serverStopping(nodeID: String, at: Int64)
    /// A dead node was swept; `usersRemoved` counts participants entries removed; `by` is the sweeper (a node id,
    /// or `sigctl`).
    case serverSwept(nodeID: String, usersRemoved: Int, by: String, at: Int64)

    public var typeName: String {
        switch self {
        case .serverStarted: return "ServerStarted"
        case .serverStopping: return "ServerStopping"
        case .serverSwept: return "ServerSwept"
        }
    }

    public var nodeID: String {
        switch self {
        case .serverStarted(let n, _), .serverStopping(let n, _), .serverSwept(let n, _, _, _): return n
        }
    }

    public var at: Int64 {
        switch self {
        case .serverStarted(_, let at), .serverStopping(_, let at), .serverSwept(_, _, _, let at): return at
        }
    }
}

extension ClusterEvent {
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    public var jsonBytes: [UInt8] {
        var w = JSONWriter(capacity: 96)
        switch self {
        case .serverStarted(let node, let at):
            w.raw("{\"ServerStarted\":{\"node_id\":")
            w.string(node)
            w.raw(",\"at\":")
            w.integer(Int(at))
        case .serverStopping(let node, let at):
            w.raw("{\"ServerStopping\":{\"node_id\":")
            w.string(node)
            w.raw(",\"at\":")
            w.integer(Int(at))
        case .serverSwept(let node, let removed, let by, let at):
            w.raw("{\"ServerSwept\":{\"node_id\":")
            w.string(node)
            w.raw(",\"users_removed\":")
            w.integer(removed)
            w.raw(",\"by\":")
            w.string(by)
            w.raw(",\"at\":")
            w.integer(Int(at))
        }
        w.raw("}}")
        return w.bytes
    }

    public init(json bytes: some Collection<UInt8>) throws(ClusterPayloadError) {
        try self.init(json: Array(bytes))
    }

    public init(json bytes: [UInt8]) throws(ClusterPayloadError) {
        let (tag, c) = try PayloadReader(json: bytes).tagged(["ServerStarted", "ServerStopping", "ServerSwept"])
        let node = try c.string("node_id")
        let at: Int64 = try c.integer("at")
        switch tag {
        case "ServerStarted": self = .serverStarted(nodeID: node, at: at)
        case "ServerStopping": self = .serverStopping(nodeID: node, at: at)
        default: self = .serverSwept(nodeID: node, usersRemoved: try c.integer("users_removed"), by: try c.string("by"), at: at)
        }
    }

    public init(json text: String) throws(ClusterPayloadError) {
        try self.init(json: Array(text.utf8))
    }
}
