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

    /// PROTOCOL.md §2: a node notices within 5 s that its registration vanished, whatever `HEARTBEAT_INTERVAL` is.
    @Test func aNodeWhoseConnectionsHashIsDeletedReRegistersWithinFiveSeconds() async throws {
        let cluster = try await NodeCluster.start([Self.slowHeartbeat])
        let events = try await EventRecorder.start(cluster.redis, channels: [ClusterChannels.events])
        let peer = try await Peer.connect(cluster.nodes[0], name: "p")
        try await peer.join("vanish")
        let connections = "servers:\(cluster.ids[0]):connections"
        #expect(try await cluster.redis.hgetall(connections).keys.sorted() == ["\(peer.userID)"])

        try await cluster.redis.withConnection { _ = try await $0.send("DEL", connections) }
        let clock = ContinuousClock()
        let deleted = clock.now
        try await eventually("the node re-registers its user", timeout: .seconds(30), interval: .milliseconds(50)) {
            try await cluster.redis.hgetall(connections).keys.contains("\(peer.userID)")
        }
        let took = clock.now - deleted
        #expect(took < .seconds(5), "noticed after \(took)")
        #expect(try await cluster.participants("vanish") == [peer.userID: cluster.ids[0]])
        // It re-entered the cluster as after an outage, ServerStarted included.
        try await eventually("ServerStarted") {
            events.payloads.contains { $0.contains("ServerStarted") && $0.contains(cluster.ids[0]) }
        }
        await events.stop()
    }

    /// Swept while alive (its heartbeat gone, then a sweeper took its users): the node re-enters the cluster within
    /// 5 s, and its users' room-mates elsewhere, told they left, hear them join again.
    @Test func aNodeSweptWhileAliveReEntersTheClusterWithinFiveSeconds() async throws {
        let cluster = try await NodeCluster.start([Self.slowHeartbeat, Self.slowHeartbeat])
        let a = try await Peer.connect(cluster.nodes[0], name: "a")
        let b = try await Peer.connect(cluster.nodes[1], name: "b")
        try await a.join("swept")
        try await b.join("swept")
        try await a.expect("UserJoined b") { $0 == .userJoined(room: "swept", user: Participant(userID: b.userID, username: "b")) }

        // Node 0 stalls (SIGSTOP) while it is found dead and swept, as a node whose heartbeat lapsed in a stall
        // would be; running, it would notice its heartbeat gone within 2 s and re-register before the sweep.
        cluster.nodes[0].signal(SIGSTOP)
        let report: SweepReport
        do {
            try await cluster.redis.withConnection { _ = try await $0.send("DEL", "servers:\(cluster.ids[0]):heartbeat") }
            report = try await cluster.redis.withConnection { connection in
                try await ClusterRegistry(redis: connection).sweep(only: cluster.ids[0], by: "test")
            }
        } catch {
            cluster.nodes[0].signal(SIGCONT)
            throw error
        }
        cluster.nodes[0].signal(SIGCONT)
        let clock = ContinuousClock()
        let swept = clock.now
        #expect(report.nodes.map(\.outcome) == [.swept] && report.usersRemoved == 1, "\(report)")
        try await b.expect("UserLeft a (the sweep)") { $0 == .userLeft(room: "swept", userID: a.userID) }

        try await eventually("the swept node re-registers", timeout: .seconds(30), interval: .milliseconds(50)) {
            try await cluster.participants("swept") == [a.userID: cluster.ids[0], b.userID: cluster.ids[1]]
        }
        let took = clock.now - swept
        #expect(took < .seconds(5), "noticed after \(took)")
        #expect(try await cluster.redis.exists("servers:\(cluster.ids[0]):heartbeat"))
        try await b.expect("UserJoined a again") { $0 == .userJoined(room: "swept", user: Participant(userID: a.userID, username: "a")) }
        try await b.offer(to: a.userID, sdp: "v=0")
        try await a.expect("the offer") { $0 == .offer(room: "swept", from: b.userID, sdp: "v=0") }
    }

    /// The `UserReplaced` handler unregisters the replaced connection, which waits on Redis. That wait must not hold
    /// up the signals heard after it: here Redis holds every write for 4 s (`CLIENT PAUSE … WRITE`), from just after
    /// it published a `UserReplaced` and then an offer for another user of the node.
    @Test func aSlowUserReplacedDoesNotStallLaterSignals() async throws {
        let cluster = try await NodeCluster.start([Self.slowHeartbeat])
        let alice = try await Peer.connect(cluster.nodes[0], name: "alice")
        let bob = try await Peer.connect(cluster.nodes[0], name: "bob")
        try await alice.join("slow")
        try await bob.join("slow")
        try await alice.expect("UserJoined bob") { $0 == .userJoined(room: "slow", user: Participant(userID: bob.userID, username: "bob")) }

        let replaced = ClusterMessage.userReplaced(.init(userID: alice.userID, connectionID: UUID().uuidString.lowercased(),
                                                          targetServer: nil, sourceServer: "elsewhere"))
        let offer = ClusterMessage.webRTCSignal(.init(roomID: "slow", fromUser: 4242, toUser: bob.userID, signalType: .offer,
                                                       signalData: "v=0 late", sourceServer: "elsewhere"))
        let connection = try await cluster.redis.connect()
        defer { connection.close() }
        let clock = ContinuousClock()
        let sent = clock.now
        // One write: Redis runs all three before the node can even read the first message.
        let replies = try await connection.pipeline([
            RedisCommand("PUBLISH", ClusterChannels.messages, replaced.jsonBytes),
            RedisCommand("PUBLISH", ClusterChannels.node(cluster.ids[0]), offer.jsonBytes),
            RedisCommand("CLIENT", "PAUSE", 4000, "WRITE"),
        ])
        #expect(replies.map(\.int) == [1, 1, nil], "\(replies)")
        try await bob.expect("the offer") { $0 == .offer(room: "slow", from: 4242, sdp: "v=0 late") }
        let took = clock.now - sent
        #expect(took < .seconds(2), "the offer waited \(took) behind the replaced connection's unregistration")
        try await alice.expect("replaced") { if case .error(let e) = $0 { return e.code == .replaced }; return false }

        // The unregistration still happens, once Redis takes writes again.
        _ = try await connection.send("CLIENT", "UNPAUSE")
        try await eventually("alice unregistered") { try await cluster.participants("slow") == [bob.userID: cluster.ids[0]] }
    }

    /// Past its buffer the subscription drops events. A drop is a gap: counted in `/metrics`, shown in `/health`, and
    /// the node reconciles its rooms, so a client converges on a user whose `UserJoined` it may have missed (here one
    /// that was never announced at all: written into Redis directly, as another node would have).
    @Test func droppedSubscriptionEventsAreCountedShownAndReconciled() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        try await withNode({
            $0.clusterMode = true
            $0.redisURL = redis.url
            $0.heartbeatInterval = .seconds(60)
            $0.heartbeatTTL = .seconds(180)
            $0.subscriptionBufferLimit = 2
        }) { node in
            try await eventually("cluster mode") { try await node.health().contains(#""mode":"cluster""#) }
            #expect(try await node.health().contains(#""subscription_dropped_events":0"#))
            #expect(try await node.metrics().contains("\(MetricNames.subscriptionDroppedEvents) 0"))
            let alice = try await node.client()
            try await alice.join("gap", as: "alice")

            let ghost = ConnectionRecord(userID: 7001, username: "ghost", roomID: "gap", connectedAt: Date(),
                                         connectionID: UUID().uuidString.lowercased())
            let connection = try await redis.connect()
            defer { connection.close() }
            _ = try await connection.pipelineChecked([
                RedisCommand("SET", "servers:ghost-node:heartbeat", Int(Date().timeIntervalSince1970), "EX", 180),
                RedisCommand("HSET", "servers:ghost-node:connections", 7001, ghost.jsonBytes),
                RedisCommand("HSET", "rooms:gap:participants", 7001, "ghost-node"),
            ])
            // A flood that outruns a two-event buffer: unreadable messages, each ignored, on the node's own channel.
            let flood = (0..<2_000).map { RedisCommand("PUBLISH", ClusterChannels.node("test-node"), "noise \($0)") }
            var dropped = 0
            try await eventually("the node drops events") {
                _ = try await connection.pipelineChecked(flood)
                dropped = Self.metric(MetricNames.subscriptionDroppedEvents, in: try await node.metrics()) ?? 0
                return dropped > 0
            }
            let health = try await node.health()
            #expect(!health.contains(#""subscription_dropped_events":0"#) && health.contains(#""subscription_dropped_events":"#),
                    "\(health)")
            // The gap made the node reconcile its rooms: alice learns of the user it was never told about.
            while true {
                let message = try await alice.next()
                if message == .userJoined(room: "gap", user: Participant(userID: 7001, username: "ghost")) { break }
            }
        }
    }

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
