#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RedisClient

/// Read models for operators (`sigctl rooms`, `sigctl servers`). Keys are enumerated with SCAN/HSCAN, never KEYS,
/// so no single command is long on a big cluster. An empty Redis gives empty results, not errors.
extension ClusterRegistry {
    /// Every room whose id matches `glob` (a Redis glob over room ids; nil for all), sorted by room id.
    public func rooms(matching glob: String? = nil, scanCount: Int = 1000) async throws -> [RoomSummary] {
        var summaries: [String: RoomSummary] = [:]
        for try await batch in redis.scan(match: ClusterKeys.participantsPattern(roomGlob: glob ?? "*"), count: scanCount) {
            let keys = batch.map(\.name).filter { ClusterKeys.room(fromParticipantsKey: $0) != nil }
            let replies = try await redis.pipeline(keys.map { RedisCommand("HVALS", $0) })
            for (key, reply) in zip(keys, replies) {
                guard let room = ClusterKeys.room(fromParticipantsKey: key), let values = reply.array else { continue }
                // A key of another type under the same name is not a room; an emptied hash no longer exists.
                if values.isEmpty { continue }
                let nodes = Set(values.compactMap(\.string)).sorted()
                summaries[room] = RoomSummary(roomID: room, participantCount: values.count, nodes: nodes)
            }
        }
        return summaries.values.sorted { $0.roomID < $1.roomID }
    }

    /// One room in detail, or nil when its participants hash does not exist.
    public func room(_ roomID: String) async throws -> RoomDetail? {
        let (participants, strays) = try await readRoom(roomID)
        if participants.isEmpty && strays.isEmpty { return nil }
        return RoomDetail(roomID: roomID, participants: participants.map(RoomDetail.Participant.init), unreadableEntries: strays)
    }

    /// Every node that has a heartbeat or a connections hash, sorted by node id.
    public func servers(scanCount: Int = 1000) async throws -> [ServerSummary] {
        var nodes = Set<String>()
        for try await batch in redis.scan(match: ClusterKeys.connectionsPattern, count: scanCount) {
            nodes.formUnion(batch.compactMap { ClusterKeys.node(fromConnectionsKey: $0.name) })
        }
        for try await batch in redis.scan(match: ClusterKeys.heartbeatPattern, count: scanCount) {
            nodes.formUnion(batch.compactMap { ClusterKeys.node(fromHeartbeatKey: $0.name) })
        }
        var result: [ServerSummary] = []
        let nodeKeys = try await nodeKeys(nodes.sorted())
        let now = Self.unixNow()
        for (node, keys) in nodeKeys where keys.exists {
            let (records, _) = try await connections(of: node, scanCount: scanCount)
            result.append(keys.summary(node: node, rooms: Set(records.map(\.roomID)).sorted(), now: now))
        }
        return result
    }

    /// One node in detail (its connections records, sorted by user id), or nil when it has neither a heartbeat nor a
    /// connections hash.
    public func server(_ nodeID: String, scanCount: Int = 1000) async throws -> ServerDetail? {
        guard let (_, keys) = try await nodeKeys([nodeID]).first, keys.exists else { return nil }
        let now = Self.unixNow()
        let (records, unreadable) = try await connections(of: nodeID, scanCount: scanCount)
        return ServerDetail(server: keys.summary(node: nodeID, rooms: Set(records.map(\.roomID)).sorted(), now: now),
                            connections: records, unreadableRecords: unreadable)
    }

    /// The reader's unix time in whole seconds, as heartbeats are written.
    private static func unixNow() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Heartbeat value and TTL, connections count and sweep claim of each node, in one pipeline.
    private func nodeKeys(_ nodes: [String]) async throws(RedisError) -> [(String, NodeKeys)] {
        var commands: [RedisCommand] = []
        for node in nodes {
            commands.append(RedisCommand("GET", ClusterKeys.heartbeat(node: node)))
            commands.append(RedisCommand("TTL", ClusterKeys.heartbeat(node: node)))
            commands.append(RedisCommand("HLEN", ClusterKeys.connections(node: node)))
            commands.append(RedisCommand("GET", ClusterKeys.sweepClaim(node: node)))
        }
        let replies = try await redis.pipeline(commands)
        return nodes.enumerated().map { k, node in
            let r = Array(replies[(4 * k)..<(4 * k + 4)])
            let heartbeatExists = !r[0].isNull && r[0].errorMessage == nil
            let ttl = r[1].int.flatMap { $0 >= 0 ? Int($0) : nil }
            let count = Int(r[2].int ?? 0)
            let claim = r[3].string.map(SweepClaim.sweeper(fromValue:))
            return (node, NodeKeys(heartbeat: heartbeatExists ? (r[0].int ?? 0) : nil, heartbeatExists: heartbeatExists,
                                   ttl: heartbeatExists ? ttl : nil, connectionCount: count, sweepingBy: claim))
        }
    }

    /// A node's connections records, read with HSCAN, sorted by user id; entries that are not records apart.
    private func connections(of node: String, scanCount: Int) async throws -> ([ConnectionRecord], [UnreadableRecord]) {
        var records: [UInt64: ConnectionRecord] = [:]
        var unreadable: [String: UnreadableRecord] = [:]
        for try await batch in redis.hscan(ClusterKeys.connections(node: node), count: scanCount) {
            for case .field(let name, let value) in batch {
                if let record = try? ConnectionRecord(json: value), UInt64(name) == record.userID {
                    records[record.userID] = record
                } else {
                    unreadable[name] = UnreadableRecord(field: name, value: String(decoding: value, as: UTF8.self))
                }
            }
        }
        return (records.values.sorted { $0.userID < $1.userID }, unreadable.values.sorted { $0.field < $1.field })
    }
}

private struct NodeKeys {
    var heartbeat: Int64?
    var heartbeatExists: Bool
    var ttl: Int?
    var connectionCount: Int
    var sweepingBy: String?

    var exists: Bool { heartbeatExists || connectionCount > 0 }

    func summary(node: String, rooms: [String], now: Int64) -> ServerSummary {
        ServerSummary(nodeID: node,
                      status: NodeLiveness(connectionsHashExists: connectionCount > 0, heartbeatExists: heartbeatExists),
                      heartbeat: heartbeat, heartbeatTTL: ttl, connectionCount: connectionCount, rooms: rooms, sweepingBy: sweepingBy,
                      now: now)
    }
}
