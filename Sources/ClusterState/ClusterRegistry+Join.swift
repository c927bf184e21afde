import RedisClient

/// What `join` did: the registration's answer and the room as it stood right after it.
public struct JoinResult: Sendable, Hashable {
    /// The node that held the user in this room before (the same node on a repeated join), or nil.
    public var previousNode: String?
    /// Everyone in the room, the joiner included, as `participants(inRoom:)` reports them.
    public var participants: [RoomParticipant]
}

extension ClusterRegistry {
    /// `register` followed by `participants(inRoom:)`, in one script: one round trip per join instead of three, and
    /// the room is read in the same atomic step that adds the joiner, so no other join or leave falls between them.
    public func join(_ record: ConnectionRecord, node: String, announce: Bool = false) async throws(RedisError) -> JoinResult {
        let call = registerCall(record, node: node, announce: announce)
        let reply = try await redis.run(
            ClusterScripts.join, keys: call.keys,
            arguments: call.arguments + [ClusterKeys.serverPrefix, ClusterKeys.connectionsSuffix, ClusterKeys.heartbeatSuffix])
        guard let parts = reply.array, parts.count == 4,
              let flat = parts[1].array, let records = parts[2].array, let nodeKeys = parts[3].array,
              records.count == flat.count / 2, nodeKeys.count % 3 == 0
        else { throw .protocolError("unexpected join reply \(reply)") }
        var liveness: [String: NodeLiveness] = [:]
        for k in stride(from: 0, to: nodeKeys.count, by: 3) {
            guard let node = nodeKeys[k].string else { continue }
            liveness[node] = NodeLiveness(connectionsHashExists: nodeKeys[k + 1].int == 1, heartbeatExists: nodeKeys[k + 2].int == 1)
        }
        let room = Self.roomEntries(flat)
        let participants = room.entries.map { entry in
            RoomParticipant(userID: entry.user, node: entry.node, room: record.roomID, rawRecord: records[entry.position].bytes,
                            nodeLiveness: liveness[entry.node] ?? .gone)
        }
        return JoinResult(previousNode: parts[0].isNull ? nil : parts[0].string, participants: participants)
    }

    /// The user entries of a participants hash (HGETALL's flat reply), sorted by user id, each with its position
    /// among the hash's fields; and the fields that are not user ids.
    static func roomEntries(_ flat: [RESPValue]) -> (entries: [(user: UInt64, node: String, position: Int)], strays: [String]) {
        var entries: [(user: UInt64, node: String, position: Int)] = []
        var strays: [String] = []
        entries.reserveCapacity(flat.count / 2)
        var i = 0
        while i + 1 < flat.count {
            let name = flat[i].string ?? ""
            if let user = UInt64(name), let node = flat[i + 1].string { entries.append((user, node, i / 2)) } else { strays.append(name) }
            i += 2
        }
        entries.sort { $0.user < $1.user }
        return (entries, strays.sorted())
    }
}

extension ClusterScripts {
    /// Join: the register script, then the room as `participants(inRoom:)` reads it.
    /// KEYS: participants, connections. ARGV: user, node, record, channel or '', payload, server prefix, connections
    /// suffix, heartbeat suffix. Returns {previous node or null, HGETALL of the participants hash, the record of each
    /// of its fields in the same order (null where missing), {node, connections hash exists, heartbeat exists}…}.
    /// Other nodes' keys are built inside the script, as the relay script does for heartbeats (PROTOCOL.md §2 uses a
    /// single Redis, not Redis Cluster).
    public static let join = RedisScript("""
        local previous = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
        local flat = redis.call('HGETALL', KEYS[1])
        local records = {}
        local nodes = {}
        local seen = {}
        for i = 1, #flat, 2 do
          local node = flat[i + 1]
          records[#records + 1] = redis.call('HGET', ARGV[6] .. node .. ARGV[7], flat[i])
          if not seen[node] then
            seen[node] = true
            nodes[#nodes + 1] = node
            nodes[#nodes + 1] = redis.call('EXISTS', ARGV[6] .. node .. ARGV[7])
            nodes[#nodes + 1] = redis.call('EXISTS', ARGV[6] .. node .. ARGV[8])
          end
        end
        return {previous, flat, records, nodes}
        """)
}
