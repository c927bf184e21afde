import Testing
import TestSupport
@testable import SignalingServer

@Suite("HTTP: /health, /metrics, /", .timeLimit(.minutes(1)))
struct HTTPEndpointTests {
    @Test func healthHasTheContractShape() async throws {
        try await withNode({ $0.nodeID = "signaling-1" }) { node in
            #expect(try await node.health().hasPrefix(#"{"redis_connected":false,"local_connections":0,"mode":"local","node_id":"signaling-1""#))
            let a = try await node.client()
            let b = try await node.client()
            try await eventually("two local connections in /health") { try await node.health().contains(#""local_connections":2"#) }
            await a.close()
            await b.close()
            try await eventually("no local connections in /health") { try await node.health().contains(#""local_connections":0"#) }
        }
    }

    @Test func clusterModeRequestedStillRunsLocal() async throws {
        try await withNode({ $0.clusterMode = true }) { node in
            let health = try await node.health()
            #expect(health.contains(#""mode":"local""#))
            #expect(health.contains(#""redis_connected":false"#))
            #expect(health.contains(#""subscription_dropped_events":0"#))
            let client = try await node.client()
            _ = try await client.join("r", as: "x")
            await client.close()
        }
    }

    @Test func metricsAreExposedWithThePrefix() async throws {
        try await withNode { node in
            let alice = try await node.client()
            let bob = try await node.client()
            let aliceID = try await alice.join("r", as: "alice").userID
            _ = try await bob.join("r", as: "bob")
            try await bob.send(.offer(room: "r", sdp: "x", target: aliceID))
            _ = try await alice.next()
            _ = try await alice.next()
            try await bob.send(raw: "nope")
            try await bob.expectError(.badMessage)

            let response = try await httpGet(port: node.port, path: "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
            let expected = [
                "sigctl_connections 2", "sigctl_rooms 1", #"sigctl_messages_in_total{type="Join"} 2"#,
                #"sigctl_messages_in_total{type="Offer"} 1"#, #"sigctl_messages_out_total{type="Offer"} 1"#,
                #"sigctl_errors_total{code="bad_message"} 1"#, "sigctl_relay_latency_seconds_count 1",
                "sigctl_rate_limit_disconnects_total 0", "sigctl_slow_consumer_disconnects_total 0",
                "sigctl_cluster_unregistered_members 0", "sigctl_cluster_subscription_dropped_events_total 0",
            ]
            // Messages out are counted once written, which may be a moment after the client has them.
            var text = ""
            try? await eventually("every metric counted") {
                text = try await node.metrics()
                return expected.allSatisfy { text.contains($0) }
            }
            for line in expected {
                #expect(text.contains(line), "\(line)")
            }
            let names = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.prefix { $0 != "{" && $0 != " " } }
            #expect(names.allSatisfy { $0.hasPrefix("sigctl_") })
            await alice.close()
            await bob.close()
        }
    }

    @Test func rootServesTheDemoPage() async throws {
        try await withNode { node in
            let page = try await httpGet(port: node.port, path: "/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true, "nothing from a CDN")
            #expect(page.body.contains(#"<script src="/demo/demo.js"></script>"#))
            let script = try await httpGet(port: node.port, path: "/demo/demo.js")
            #expect(script.status == 200)
            #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
            for message in ["Join", "RoomJoined", "UserJoined", "UserLeft", "Offer", "Answer", "IceCandidate"] {
                #expect(script.body.contains("'\(message)'"), "the page speaks \(message)")
            }
            let style = try await httpGet(port: node.port, path: "/demo/demo.css")
            #expect(style.status == 200)
            #expect(style.headers["content-type"] == "text/css; charset=utf-8")
            for path in ["/demo/nope.js", "/demo/..%2Fdemo.js", "/nope"] {
                #expect(try await httpGet(port: node.port, path: path).status == 404, "\(path)")
            }
        }
    }

    @Test func noDemoLeavesRootUnrouted() async throws {
        let noDemo: (inout NodeConfiguration) -> Void = { $0.demo = false }
        try await withNode(noDemo) { node in
            let root = try await httpGet(port: node.port, path: "/")
            let script = try await httpGet(port: node.port, path: "/demo/demo.js")
            let health = try await httpGet(port: node.port, path: "/health")
            #expect(root.status == 404)
            #expect(script.status == 404)
            #expect(health.status == 200)
        }
    }
}
