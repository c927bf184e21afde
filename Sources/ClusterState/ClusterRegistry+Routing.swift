import NIOCore
import RedisClient

/// What became of a signal handed to `ClusterRegistry.relay`.
public enum RelayResult: Sendable, Equatable {
    /// Published; `receivers` nodes heard it (direct routing: 1, the target's node).
    case published(receivers: Int)
    /// The room has no entry for the target.
    case notInRoom
    /// The participants hash names a node without a live heartbeat.
    case nodeDead(String)
    /// The participants hash names the sending node itself (a stale entry: the target is not local).
    case onSender
    /// Direct routing reached no subscriber: the target's node is gone.
    case noReceiver(String)
}

/// How signals travel between nodes (PROTOCOL.md §2).
public enum SignalRouting: String, Sendable, Hashable, CaseIterable {
    /// To the target's node on `cluster:node:{node_id}`: one delivery whatever the cluster's size.
    case direct
    /// On `cluster:messages`: every node checks whether the target is local.
    case broadcast
}

extension ClusterRegistry {
    /// Looks the target up, checks its node's heartbeat and publishes the signal, in one script: one round trip per
    /// relayed message, and no window between the check and the publish in which a stale answer could be used.
    public func relay(_ signal: ClusterMessage.WebRTCSignal, from node: String, routing: SignalRouting) async throws(RedisError) -> RelayResult {
        let (keys, arguments) = Self.relayArguments(signal, from: node, routing: routing)
        let reply = try await redis.run(ClusterScripts.relay, keys: keys, arguments: arguments)
        return try Self.relayResult(reply, routing: routing)
    }

    /// The same relay, issued at once on `connection` and answered by a future: a node's event loop hands a signal
    /// to Redis without waiting, and signals issued in order reach Redis in that order.
    public func relay(
        _ signal: ClusterMessage.WebRTCSignal, from node: String, routing: SignalRouting, on connection: RedisConnection
    ) -> EventLoopFuture<RelayResult> {
        let (keys, arguments) = Self.relayArguments(signal, from: node, routing: routing)
        return connection.runFuture(ClusterScripts.relay, keys: keys, arguments: arguments).flatMapThrowing { reply in
            try Self.relayResult(reply, routing: routing)
        }
    }

    private static func relayArguments(_ signal: ClusterMessage.WebRTCSignal, from node: String, routing: SignalRouting)
        -> (keys: [any RedisArgument], arguments: [any RedisArgument])
    {
        let payload = ClusterMessage.webRTCSignal(signal).jsonBytes
        return ([ClusterKeys.participants(room: signal.roomID)],
                [signal.toUser, node, ClusterKeys.serverPrefix, ClusterKeys.heartbeatSuffix,
                 routing == .direct ? ClusterChannels.nodePrefix : "", ClusterChannels.messages, payload])
    }

    private static func relayResult(_ reply: RESPValue, routing: SignalRouting) throws(RedisError) -> RelayResult {
        guard let parts = reply.array, parts.count == 2, let code = parts[0].int else {
            throw .protocolError("unexpected relay reply \(reply)")
        }
        let target = parts[1].string ?? ""
        switch code {
        case -1: return .notInRoom
        case -2: return .nodeDead(target)
        case -3: return .onSender
        case 0 where routing == .direct: return .noReceiver(target)
        default: return .published(receivers: Int(code))
        }
    }
}

extension ClusterScripts {
    /// KEYS[1] participants hash; ARGV: user, sending node, server prefix, heartbeat suffix, node channel prefix
    /// ("" for broadcast), broadcast channel, payload. Returns {code, node}: code ≥ 0 is PUBLISH's receiver count,
    /// -1 not in the room, -2 node without heartbeat, -3 the sending node itself.
    public static let relay = RedisScript("""
        local node = redis.call('HGET', KEYS[1], ARGV[1])
        if not node then return {-1, ''} end
        if node == ARGV[2] then return {-3, node} end
        if redis.call('EXISTS', ARGV[3] .. node .. ARGV[4]) == 0 then return {-2, node} end
        local channel = ARGV[6]
        if ARGV[5] ~= '' then channel = ARGV[5] .. node end
        return {redis.call('PUBLISH', channel, ARGV[7]), node}
        """)
}

extension ClusterRegistry {
    /// The nodes (other than `except`) whose connections hash holds a record for `userID`: SCAN for the hashes,
    /// then one pipelined HEXISTS each. Used while an authenticated user replaces an older connection elsewhere.
    public func nodesHolding(userID: UInt64, except: String? = nil) async throws -> [String] {
        var nodes: [String] = []
        for try await batch in redis.scan(match: ClusterKeys.connectionsPattern, count: 1000) {
            nodes += batch.compactMap { ClusterKeys.node(fromConnectionsKey: $0.name) }.filter { $0 != except }
        }
        guard !nodes.isEmpty else { return [] }
        let replies = try await redis.pipelineChecked(nodes.map { RedisCommand("HEXISTS", ClusterKeys.connections(node: $0), userID) })
        return zip(nodes, replies).filter { $0.1.int == 1 }.map(\.0)
    }

    /// Every record in a node's connections hash (HSCAN in batches); unreadable entries are skipped.
    public func records(onNode node: String) async throws -> [ConnectionRecord] {
        var records: [ConnectionRecord] = []
        for try await batch in redis.hscan(ClusterKeys.connections(node: node), count: 1000) {
            for item in batch {
                if case .field(_, let value) = item, let record = try? ConnectionRecord(json: value) { records.append(record) }
            }
        }
        return records
    }
}

extension ClusterRegistry {
    /// Whether each node's heartbeat key exists, in one pipeline.
    public func heartbeatsExist(nodes: [String]) async throws(RedisError) -> [String: Bool] {
        guard !nodes.isEmpty else { return [:] }
        let replies = try await redis.pipelineChecked(nodes.map { RedisCommand("EXISTS", ClusterKeys.heartbeat(node: $0)) })
        return Dictionary(uniqueKeysWithValues: zip(nodes, replies.map { $0.int == 1 }))
    }
}
