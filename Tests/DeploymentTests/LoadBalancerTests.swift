#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SignalingProtocol
import TestSupport
import Testing

/// The committed `deploy/nginx.conf`, run by real nginx in front of three real nodes (only its upstream servers and
/// its `listen` line are rewritten to loopback ports).
@Suite("nginx in front of three nodes (deploy/nginx.conf)", .timeLimit(.minutes(3)),
       .enabled(if: Nginx.isInstalled, "needs nginx (make test-deps)"))
struct LoadBalancerTests {
    /// The package root, from this file's path (Tests/DeploymentTests/<this file>).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let clientCount = 30

    @Test func thirtyClientsSpreadOverTheNodesAndADrainedNodesClientsComeBack() async throws {
        let cluster = try await NodeCluster.start(
            Array(repeating: ["--heartbeat-interval", "1s", "--heartbeat-ttl", "30s"], count: 3), idPrefix: "lb")
        let committed = try String(contentsOf: Self.root.appendingPathComponent("deploy/nginx.conf"), encoding: .utf8)
        let nginx = try await Nginx.start { port in
            try Nginx.rewrite(committed, upstreams: cluster.nodes.map(\.port), port: port)
        }
        do {
            try await run(cluster, nginx)
        } catch {
            throw TestSupportError("\(error)\n--- nginx log\n\(nginx.log.suffix(3000))")
        }
        await nginx.stop()
    }

    func run(_ cluster: NodeCluster, _ nginx: Nginx) async throws {
        // The plain locations.
        let health = try await httpGet(port: nginx.port, path: "/health")
        #expect(health.status == 200 && health.body.contains("\"mode\":\"cluster\""), "/health through nginx: \(health)")
        #expect(try await httpGet(port: nginx.port, path: "/metrics").status == 404, "metrics are not public")
        let page = try await httpGet(port: nginx.port, path: "/")
        #expect(page.status == 200 && page.body.contains("/demo/demo.js"), "the demo page through nginx")

        // 30 clients through the balancer, all in one room.
        let room = "lb-\(UUID().uuidString.prefix(6).lowercased())"
        var clients: [Peer] = []
        for i in 0..<Self.clientCount {
            clients.append(try await join(nginx, name: "c\(i)", room: room))
        }
        let counts = try await connectionCounts(cluster, nodes: [0, 1, 2])
        #expect(counts.reduce(0, +) == Self.clientCount, "\(counts)")
        #expect(counts.allSatisfy { $0 > 0 }, "every node has clients: \(counts)")
        try await everyoneSeesEveryone(clients)
        try await everyPairSignals(clients, room: room, round: 1)

        // Node 2 is stopped gracefully: its clients get close 1001, the others UserLeft.
        let onNode2 = counts[2]
        cluster.nodes[2].signal(SIGTERM)
        try await eventually("node 2's \(onNode2) clients are closed", timeout: .seconds(20)) {
            clients.filter { $0.ws.hasEnded }.count == onNode2
        }
        let drained = clients.indices.filter { clients[$0].ws.hasEnded }
        for i in drained {
            #expect(clients[i].ws.closeCode == 1001, "\(clients[i].name) closed with \(String(describing: clients[i].ws.closeCode))")
        }
        let drainedIDs = Set(drained.map { clients[$0].userID })
        for client in clients where !client.ws.hasEnded {
            try await client.readUntil("UserLeft for node 2's clients") { drainedIDs.isDisjoint(with: client.view.keys) }
        }

        // They reconnect through nginx (to the other nodes; a handshake that reaches the draining node is closed
        // again and retried) and everyone sees everyone again.
        for i in drained {
            clients[i] = try await join(nginx, name: clients[i].name, room: room)
        }
        #expect(await cluster.nodes[2].exit(timeout: .seconds(20)) == 0, "node 2 exits cleanly after SIGTERM")
        let after = try await connectionCounts(cluster, nodes: [0, 1])
        #expect(after.reduce(0, +) == Self.clientCount, "all back on nodes 0 and 1: \(after)")
        try await everyoneSeesEveryone(clients)
        try await everyPairSignals(clients, room: room, round: 2)
        for client in clients { await client.ws.close() }
    }

    /// Connects through nginx and joins, retrying when the connection lands on a node that is going away.
    func join(_ nginx: Nginx, name: String, room: String) async throws -> Peer {
        var lastError: (any Error)?
        for _ in 0..<50 {
            do {
                let peer = Peer(ws: try await TestWebSocketClient.connect(url: nginx.wsURL), name: name)
                try await peer.join(room)
                return peer
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw TestSupportError("\(name) could not join through nginx: \(lastError!)")
    }

    /// `local_connections` of each node listed, once the sum is the client count (handshakes may still be settling).
    func connectionCounts(_ cluster: NodeCluster, nodes: [Int]) async throws -> [Int] {
        var counts: [Int] = []
        try await eventually("\(Self.clientCount) connections over nodes \(nodes)") {
            counts = []
            for i in nodes { counts.append(try await cluster.health(i)["local_connections"] as? Int ?? -1) }
            return counts.reduce(0, +) == Self.clientCount
        }
        return counts
    }

    /// Every client's view of the room is exactly the others' current ids.
    func everyoneSeesEveryone(_ clients: [Peer]) async throws {
        for client in clients {
            let others = Set(clients.filter { $0 !== client }.map(\.userID))
            try await client.readUntil("sees the \(others.count) others") { Set(client.view.keys) == others }
        }
    }

    /// Every client offers to every other; every client receives an offer from each of the others.
    func everyPairSignals(_ clients: [Peer], room: String, round: Int) async throws {
        for sender in clients {
            for target in clients where target !== sender {
                try await sender.offer(to: target.userID, sdp: "v=0\r\ns=round \(round) \(sender.name) to \(target.name)\r\n")
            }
        }
        for target in clients {
            var from: Set<UInt64> = []
            let expected = Set(clients.filter { $0 !== target }.map(\.userID))
            try await target.readUntil("offers from all \(expected.count) others in round \(round)") {
                if case .offer(_, let sender, let sdp)? = target.log.last, sdp.contains("round \(round) ") {
                    from.insert(sender)
                }
                return from == expected
            }
        }
    }
}
