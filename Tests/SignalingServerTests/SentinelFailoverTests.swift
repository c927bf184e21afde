import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// Two real nodes on a Sentinel URL (master, two replicas, three `redis-sentinel`), users on both, relays running
/// while the master changes.
@Suite("Sentinel failover with real nodes", .serialized, .timeLimit(.minutes(4)))
struct SentinelFailoverTests {
    struct Fixture {
        let group: SentinelGroup
        let nodes: [NodeProcess]
        let ids: [String]

        /// Node `i`'s `/health`.
        func health(_ i: Int) async -> [String: Any] {
            guard let result = try? await httpGet(port: nodes[i].port, path: "/health", timeout: .seconds(10)) else { return [:] }
            return (try? JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any]) ?? [:]
        }

        /// Polls until every node is clustered on `server`; how long that took.
        func waitUntilNodesUse(_ server: RedisServer, timeout: Duration) async throws -> Duration {
            let started = ContinuousClock.now
            try await eventually("both nodes clustered on :\(server.port)", timeout: timeout) {
                for i in nodes.indices {
                    let h = await health(i)
                    guard h["mode"] as? String == "cluster", h["redis_server"] as? String == "127.0.0.1:\(server.port)" else { return false }
                }
                return true
            }
            return ContinuousClock.now - started
        }

        func stop() async {
            for node in nodes { await node.stop() }
            group.stop()
        }
    }

    /// The URL names a Sentinel that is down first: discovery goes past it.
    static func start() async throws -> Fixture {
        let group = try await SentinelGroup.start()
        let dead = "127.0.0.1:\(freeLoopbackPort())"
        let url = "redis+sentinel://\(dead)," + group.sentinels.map(\.address).joined(separator: ",") + "/\(SentinelGroup.masterName)"
        let run = UUID().uuidString.prefix(4).lowercased()
        var nodes: [NodeProcess] = []
        var ids: [String] = []
        for i in 0..<2 {
            let id = "sent-\(run)-n\(i)"
            ids.append(id)
            nodes.append(try await NodeProcess.start(arguments: [
                "--cluster-mode", "--redis-url", url, "--node-id", id, "--log-level", "debug",
                "--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s",
            ]))
        }
        let fixture = Fixture(group: group, nodes: nodes, ids: ids)
        _ = try await fixture.waitUntilNodesUse(group.servers[0], timeout: .seconds(30))
        return fixture
    }

    /// Offers from `sender` to `receiver` every 25 ms (under the per-connection rate limit), each carrying its
    /// sequence number; records when each was sent and when it arrived.
    final class RelayLoad: @unchecked Sendable {
        private let lock = NSLock()
        private var sent: [Int: ContinuousClock.Instant] = [:]
        private var received: [Int: ContinuousClock.Instant] = [:]
        private var tasks: [Task<Void, Never>] = []

        init(from sender: Peer, to receiver: Peer) {
            tasks.append(Task { [self] in
                var seq = 0
                while !Task.isCancelled {
                    lock.withLock { sent[seq] = .now }
                    try? await sender.offer(to: receiver.userID, sdp: "v=0\r\na=seq:\(seq)\r\n")
                    seq += 1
                    try? await Task.sleep(for: .milliseconds(25))
                }
            })
            tasks.append(Task { [self] in
                while !Task.isCancelled {
                    guard let message = try? await receiver.next(timeout: .seconds(60)) else { continue }
                    guard case .offer(_, _, let sdp) = message, let range = sdp.range(of: "a=seq:"),
                          let seq = Int(sdp[range.upperBound...].prefix { $0.isNumber }) else { continue }
                    lock.withLock { received[seq] = .now }
                }
            })
        }

        var deliveries: Int { lock.withLock { received.count } }

        /// When the first offer sent after `instant` arrived.
        func firstDelivery(sentAfter instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
            lock.withLock {
                received.filter { sent[$0.key].map { $0 > instant } ?? false }.map(\.value).min()
            }
        }

        /// The longest time between two consecutive arrivals: the interruption a client saw; and when it ended.
        var longestGap: (length: Duration, end: ContinuousClock.Instant?) {
            let times = lock.withLock { received.values.sorted() }
            let gaps = zip(times, times.dropFirst()).map { ($1 - $0, $1) }
            guard let longest = gaps.max(by: { $0.0 < $1.0 }) else { return (.zero, nil) }
            return (longest.0, longest.1)
        }

        func stop() { for task in tasks { task.cancel() } }
    }

    static func milliseconds(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

    /// Every user is registered on `server` (its node's connections hash and the room's participants hash).
    static func expectRegistered(_ peers: [(Peer, String)], on server: RedisServer) async throws {
        try await eventually("every user registered on :\(server.port)", timeout: .seconds(10)) {
            for (peer, node) in peers {
                let connections = (try? await server.hgetall("servers:\(node):connections")) ?? [:]
                let participants = (try? await server.hgetall("rooms:\(peer.room):participants")) ?? [:]
                guard connections["\(peer.userID)"] != nil, participants["\(peer.userID)"] == node else { return false }
            }
            return true
        }
    }

    @Test func sentinelFailoverUnderRelayLoadBothNodesFollowWithinFiveSeconds() async throws {
        let f = try await Self.start()
        let alice = try await Peer.join(f.nodes[0], name: "alice", room: "fo-1")
        let bob = try await Peer.join(f.nodes[1], name: "bob", room: "fo-1")
        let carol = try await Peer.join(f.nodes[0], name: "carol", room: "fo-2")
        let dave = try await Peer.join(f.nodes[1], name: "dave", room: "fo-2")
        try await alice.expect("UserJoined bob") { if case .userJoined = $0 { return true } else { return false } }
        try await carol.expect("UserJoined dave") { if case .userJoined = $0 { return true } else { return false } }

        let aliceToBob = RelayLoad(from: alice, to: bob)
        let daveToCarol = RelayLoad(from: dave, to: carol)
        try await eventually("relays flowing before the failover") { aliceToBob.deliveries >= 10 && daveToCarol.deliveries >= 10 }

        let old = f.group.servers[0]
        let asked = ContinuousClock.now
        try await f.group.sentinels[1].send("SENTINEL", "FAILOVER", SentinelGroup.masterName)
        let (new, switched) = try await f.group.waitForSwitchTimed(from: old)
        _ = try await f.waitUntilNodesUse(new, timeout: .seconds(30))
        let follow = ContinuousClock.now - switched
        // Relays sent after both nodes moved are delivered: the interruption is over.
        let moved = ContinuousClock.now
        try await eventually("relays delivered again after the switch", timeout: .seconds(30)) {
            aliceToBob.firstDelivery(sentAfter: moved) != nil && daveToCarol.firstDelivery(sentAfter: moved) != nil
        }
        aliceToBob.stop()
        daveToCarol.stop()
        let gaps = [aliceToBob.longestGap, daveToCarol.longestGap]
        let longestGap = gaps.map(\.length).max()!
        // The interruption ends with the later of the two pairs' longest gaps.
        let deliveredAgain = gaps.compactMap(\.end).max()!
        let interruption = deliveredAgain - switched
        print("sentinel-failover: SENTINEL FAILOVER → first Sentinel names the new master \(Self.milliseconds(switched - asked)) ms; "
            + "switch → both nodes report cluster mode on it \(Self.milliseconds(follow)) ms; switch → relays delivered again "
            + "\(Self.milliseconds(interruption)) ms; longest gap between deliveries \(Self.milliseconds(longestGap)) ms; "
            + "Sentinels: \(RedisSentinel.timings)")
        #expect(follow < .seconds(5), "both nodes follow within 5 s of the switch")
        #expect(interruption < .seconds(5), "cross-node relays work again within 5 s of the switch")

        try await Self.expectRegistered([(alice, f.ids[0]), (bob, f.ids[1]), (carol, f.ids[0]), (dave, f.ids[1])], on: new)
        // Subscribers receive on the new master: relays in both directions cross it.
        try await bob.offer(to: alice.userID, sdp: "after")
        try await alice.expect("bob's offer over the new master") { $0 == .offer(room: "fo-1", from: bob.userID, sdp: "after") }
        try await carol.offer(to: dave.userID, sdp: "after")
        try await dave.expect("carol's offer over the new master") { $0 == .offer(room: "fo-2", from: carol.userID, sdp: "after") }
        let health = await f.health(0)
        #expect(health["redis_switches"] as? Int == 1 && health["redis_last_switch"] is String, "\(health)")
        let metrics = try await httpGet(port: f.nodes[0].port, path: "/metrics", timeout: .seconds(10)).body
        #expect(metrics.contains("sigctl_redis_server{address=\"127.0.0.1:\(new.port)\"} 1"), "\(metrics.suffix(800))")
        await f.stop()
    }

    /// The old master and the Sentinel the nodes asked first die together (SIGKILL): no `+switch-master` reaches the
    /// nodes from that Sentinel; they still converge on the master the other two elect.
    @Test func oldMasterKilledWithItsSentinelNodesStillConverge() async throws {
        let f = try await Self.start()
        let alice = try await Peer.join(f.nodes[0], name: "alice", room: "kill-1")
        let bob = try await Peer.join(f.nodes[1], name: "bob", room: "kill-1")
        try await alice.expect("UserJoined bob") { if case .userJoined = $0 { return true } else { return false } }

        let old = f.group.servers[0]
        // The first live Sentinel of the URL answered the nodes' discovery and is the one their monitors follow.
        let killed = ContinuousClock.now
        f.group.sentinels[0].kill()
        old.kill()
        let (new, switched) = try await f.group.waitForSwitchTimed(from: old, timeout: .seconds(60))
        _ = try await f.waitUntilNodesUse(new, timeout: .seconds(30))
        print("sentinel-kill: master and a Sentinel SIGKILLed → first Sentinel names the new master "
            + "\(Self.milliseconds(switched - killed)) ms; switch → both nodes report cluster mode on it "
            + "\(Self.milliseconds(ContinuousClock.now - switched)) ms")
        try await Self.expectRegistered([(alice, f.ids[0]), (bob, f.ids[1])], on: new)
        try await eventually("a cross-node relay over the new master", timeout: .seconds(20), interval: .milliseconds(200)) {
            try await alice.offer(to: bob.userID, sdp: "again")
            guard let message = try? await bob.next(timeout: .seconds(2)) else { return false }
            return message == .offer(room: "kill-1", from: alice.userID, sdp: "again")
        }
        await f.stop()
    }
}
