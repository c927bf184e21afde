import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// The clusters of these tests: every node beats (and sweeps dead nodes) often, so that dead-node tests take seconds,
/// not a minute.
extension NodeCluster {
    /// Heartbeats (and sweeps) every 300 ms, with a 30 s TTL: no stall of a busy machine lets a live node's heartbeat
    /// lapse, so no live node is ever swept. A test that kills a node expires its heartbeat itself (`expireHeartbeat`).
    static let fastHeartbeat = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s"]

    /// `count` nodes with a fast heartbeat; node `i` with `--signal-routing routing[i]` when given.
    static func start(nodes count: Int, routing: [String]? = nil) async throws -> NodeCluster {
        try await start((0..<count).map { i in fastHeartbeat + (routing.map { ["--signal-routing", $0[i]] } ?? []) })
    }

    /// The participants hash of `room`: user id → node id.
    func participants(_ room: String) async throws -> [UInt64: String] {
        var out: [UInt64: String] = [:]
        for (user, node) in try await redis.hgetall("rooms:\(room):participants") { out[UInt64(user) ?? 0] = node }
        return out
    }
}
