import ClusterState
import Foundation
import RedisClient
import SignalingProtocol
import SignalingServer
import TestSupport
import Testing

/// What a clustered node notices about itself and its subscription, whatever its heartbeat interval: its records
/// vanishing, being swept while alive, events it dropped, and one slow handler in the subscription's way.
@Suite("Cluster: a node notices vanished records, sweeps of itself and dropped events", .timeLimit(.minutes(3)))
struct ClusterWatchTests {
    /// A heartbeat interval far longer than any of these tests: whatever the node notices, its heartbeat did not.
    static let slowHeartbeat = ["--heartbeat-interval", "60s", "--heartbeat-ttl", "180s"]

    /// Each join that leaves the lease below its refill threshold asks for a refill; a burst of such joins leases one
    /// block, not one each. Redis holds writes while the burst arrives (`CLIENT PAUSE … WRITE`), so every join of it
    /// comes while the first refill waits for its answer.
    @Test func aBurstOfJoinsLeasesOneBlock() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        try await withNode({
            $0.clusterMode = true
            $0.redisURL = redis.url
            $0.heartbeatInterval = .seconds(60)
            $0.heartbeatTTL = .seconds(180)
            $0.userIDBlockSize = 20
        }) { node in
            try await eventually("cluster mode") { try await node.health().contains(#""mode":"cluster""#) }
            let connection = try await redis.connect()
            defer { connection.close() }
            #expect(try await connection.send("GET", "users:next_id").int == 20, "entering the cluster leased one block")
            var clients: [SignalClient] = []
            for _ in 0..<19 { clients.append(try await node.client()) }

            // 19 joins at once: the first 15 leave 5 or more ids in hand (the threshold is a quarter of a block), the
            // last 4 each find fewer.
            _ = try await connection.send("CLIENT", "PAUSE", 1500, "WRITE")
            let ids = try await withThrowingTaskGroup(of: UserID.self) { group in
                for (i, client) in clients.enumerated() {
                    group.addTask { try await client.join("burst-\(i)", as: "u\(i)").userID }
                }
                var ids: [UserID] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(ids.sorted() == Array(1...19))
            #expect(try await connection.send("GET", "users:next_id").int == 40, "one more block for the whole burst")
            for client in clients { await client.close() }
        }
    }

    /// The value of an unlabelled metric in a Prometheus exposition.
    static func metric(_ name: String, in exposition: String) -> Int? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)).map { Int($0) }
        }
        return nil
    }
}
