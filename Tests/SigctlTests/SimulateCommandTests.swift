import Foundation
import TestSupport
import Testing

extension SigctlEndToEnd {
    /// `sigctl simulate` against real nodes: short runs whose JSON reports must add up. Each run is given sigctl's
    /// default 30 s before it counts as hung: a few seconds of work on a loaded machine, plus a stall.
    @Suite("simulate relay|joins against real nodes", .timeLimit(.minutes(2)))
    struct SimulateCommand {
        func report(_ result: CLIResult) throws -> [String: Any] {
            try #require(try result.json() as? [String: Any], "\(result)")
        }

        /// Polls the node's `/health` until it counts no open WebSocket connection.
        func expectNoConnections(_ node: NodeProcess) async throws {
            try await eventually("node \(node.port) has no connections left") {
                guard let health = try? await httpGet(port: node.port, path: "/health", timeout: .seconds(1)),
                      let body = try? JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any]
                else { return false }
                return int(body["local_connections"]) == 0
            }
        }

        @Test func relayReportsRelayedMessagesAndNoErrors() async throws {
            let node = try await NodeProcess.start()
            // Only what is relayed within the measured window counts, so the window is longer than a stall of the
            // machine could be: a 1 s window spent entirely stalled would report nothing relayed.
            let result = try await sigctl([
                "simulate", "relay", "--url", node.wsURL, "--rate", "50", "--duration", "12s", "--warmup", "0s",
                "--pairs", "5", "--sdp-bytes", "300", "--format", "json",
            ], timeout: .seconds(45))
            #expect(result.exitCode == 0, "\(result)")
            let r = try report(result)
            #expect(uint(r["messages_relayed"]) ?? 0 > 0, "\(result)")
            #expect(uint(r["offers_received"]) ?? 0 > 0 && uint(r["answers_received"]) ?? 0 > 0, "\(result)")
            #expect(int(r["errors"]) == 0, "\(result)")
            #expect(r["offer_url"] as? String == node.wsURL && r["answer_url"] as? String == node.wsURL, "\(result)")
            let latency = try #require(r["one_way_latency_us"] as? [String: Any], "\(result)")
            let p50 = try #require(latency["p50"] as? Double), p99 = try #require(latency["p99"] as? Double)
            #expect(p50 > 0 && p50 <= p99, "\(result)")
            #expect(!result.stdout.contains("relay:"), "progress stays off stdout in JSON: \(result)")
            try await expectNoConnections(node)
        }

        @Test func joinsOnNewConnectionsCountsEveryClient() async throws {
            let node = try await NodeProcess.start()
            let result = try await sigctl([
                "simulate", "joins", "--url", node.wsURL, "--clients", "150", "--concurrency", "15",
                "--room-size", "4", "--format", "json",
            ])
            #expect(result.exitCode == 0, "\(result)")
            let r = try report(result)
            #expect(int(r["joined"]) == 150 && int(r["clients"]) == 150, "\(result)")
            #expect(int(r["errors"]) == 0 && (r["errors_by_code"] as? [String: Any])?.isEmpty == true, "\(result)")
            #expect(r["mode"] as? String == "keep", "\(result)")
            #expect((r["joins_per_second"] as? Double ?? 0) > 0, "\(result)")
            let connect = try #require(r["connect_to_joined_us"] as? [String: Any], "\(result)")
            let join = try #require(r["join_to_joined_us"] as? [String: Any], "\(result)")
            #expect(int(connect["count"]) == 150 && int(join["count"]) == 150, "\(result)")
            // Connecting includes the Join round trip, so its median cannot be smaller.
            #expect((connect["p50"] as? Double ?? 0) >= (join["p50"] as? Double ?? .infinity), "\(result)")
            let nodes = try #require(r["nodes"] as? [[String: Any]], "\(result)")
            #expect(nodes.count == 1 && int(nodes[0]["joined"]) == 150, "\(result)")
            try await expectNoConnections(node)
        }

        @Test func joinsReusingConnectionsLeaveAndJoinAgain() async throws {
            let node = try await NodeProcess.start()
            let result = try await sigctl([
                "simulate", "joins", "--url", node.wsURL, "--clients", "60", "--concurrency", "6",
                "--reuse-connections", "--format", "json",
            ])
            #expect(result.exitCode == 0, "\(result)")
            let r = try report(result)
            #expect(int(r["joined"]) == 60 && int(r["errors"]) == 0, "\(result)")
            #expect(r["mode"] as? String == "reuse", "\(result)")
            #expect(r["connect_to_joined_us"] == nil, "no connect latency when connections are reused: \(result)")
            #expect(int((r["join_to_joined_us"] as? [String: Any])?["count"]) == 60, "\(result)")
            try await expectNoConnections(node)
        }

        @Test func joinsSpreadRoundRobinOverClusterNodesInText() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast, OpsCluster.fast])
            let result = try await sigctl([
                "simulate", "joins", "--url", cluster.nodes[0].wsURL, "--url", cluster.nodes[1].wsURL,
                "--clients", "80", "--concurrency", "10", "--room-size", "4", "--close-after-join",
            ])
            #expect(result.exitCode == 0, "\(result)")
            #expect(!containsEscapes(result.stdout), "\(result)")
            let summary = try #require(result.stdoutLines.first { $0.hasPrefix("joins: 80 of 80 joined") }, "\(result)")
            #expect(summary.contains("joins/s") && summary.contains("per node, 2 nodes"), "\(result)")
            #expect(result.stdoutLines.contains { $0.hasPrefix("mode: new connection per join") && $0.contains("closed after RoomJoined") },
                    "\(result)")
            #expect(result.stdoutLines.contains("per node: \(cluster.nodes[0].wsURL) 40, \(cluster.nodes[1].wsURL) 40"), "\(result)")
            #expect(result.stdoutLines.contains { $0.hasPrefix("latency ms, connect → RoomJoined: p50 ") }, "\(result)")
            #expect(result.stdoutLines.last == "errors: 0", "\(result)")
            // Every client closed: the registry holds no participant any more.
            try await eventually("rooms emptied") { try await cluster.redis.keys("rooms:*").isEmpty }
        }

        @Test func unreachableOrMalformedURLsAndBadNumbersAreOneLine() async throws {
            let closed = "ws://127.0.0.1:\(freeLoopbackPort())/ws"
            for command in [["joins", "--url", closed], ["relay", "--url", closed], ["idle", "--url", closed]] {
                for format in [["--format", "text"], ["--format", "json"]] {
                    let result = try await sigctl(["simulate"] + command + format)
                    expectOneLineError(result, mentioning: [closed, "connection refused"])
                }
            }
            let node = try await NodeProcess.start()
            let cases: [([String], [String])] = [
                (["relay", "--url", node.wsURL, "--rate", "fast"], ["--rate", "fast"]),
                (["relay", "--url", node.wsURL, "--rate=-5"], ["--rate", "-5"]),
                (["relay", "--url", node.wsURL, "--duration", "soon"], ["--duration", "soon"]),
                (["joins", "--url", node.wsURL, "--clients", "0"], ["--clients"]),
                (["joins", "--url", "http://127.0.0.1:\(node.port)/ws"], ["http://127.0.0.1", "ws or wss"]),
                (["joins", "--url", "ws://127.0.0.1:\(node.port)/nothing-here"], ["/nothing-here"]),
                (["joins"], ["--url"]),
                (["joins", "--url", node.wsURL, "--reuse-connections", "--close-after-join"], ["--reuse-connections"]),
            ]
            for (arguments, needles) in cases {
                let result = try await sigctl(["simulate"] + arguments)
                expectOneLineError(result, mentioning: needles)
            }
        }
    }
}
