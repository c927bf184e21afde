import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("tail sees real traffic", .timeLimit(.minutes(2)))
    struct TailCommand {
        static let sdp = "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=tail \u{2713}\r\n"

        /// NDJSON lines: each parses as one object with "channel" and an RFC 3339 "time".
        func ndjson(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.last == "", "ends with a newline: \(result)", sourceLocation: sourceLocation)
            return try lines.dropLast().map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                                          "not a JSON object: \(line)", sourceLocation: sourceLocation)
                #expect(object["channel"] is String, "\(line)", sourceLocation: sourceLocation)
                let time = object["time"] as? String ?? ""
                let parsed = try? Date(time, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                #expect(parsed.map { abs($0.timeIntervalSinceNow) < 120 } == true, "time '\(time)' is RFC 3339 and now",
                        sourceLocation: sourceLocation)
                return object
            }
        }

        @Test func tailCountSeesAJoinAndAnOfferInJSONAndText() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast, OpsCluster.fast])
            let room = "tail-\(UUID().uuidString.prefix(6).lowercased())"
            let alice = try await Peer.join(cluster.nodes[0], name: "alice", room: room)
            let url = ["--redis-url", cluster.redis.url]
            let events = try await EventRecorder.start(cluster.redis)

            let json = try startSigctl(["tail", "--count", "2", "--format", "json"] + url)
            let text = try startSigctl(["tail", "--count", "2"] + url)
            // In JSON mode the note goes to stderr, so that stdout stays NDJSON; in text mode it is on stdout.
            try await json.waitForOutput("listening on cluster:*", on: .stderr)
            try await text.waitForOutput("listening on cluster:*", on: .stdout)
            #expect(json.stdout.isEmpty)

            let bob = try await Peer.join(cluster.nodes[1], name: "bob", room: room)
            try await alice.expect("UserJoined bob") { $0 == .userJoined(room: room, user: Participant(userID: bob.userID, username: "bob")) }
            try await bob.offer(to: alice.userID, sdp: Self.sdp)
            try await alice.expect("the offer") { $0 == .offer(room: room, from: bob.userID, sdp: Self.sdp) }

            let jsonResult = await json.finish(timeout: .seconds(15))
            #expect(jsonResult.exitCode == 0 && !jsonResult.timedOut, "--count 2 exits by itself: \(jsonResult)")
            let lines = try ndjson(jsonResult)
            try #require(lines.count == 2, "\(jsonResult)")
            #expect(lines[0]["channel"] as? String == "cluster:messages", "\(jsonResult)")
            let joined = try #require(lines[0]["UserJoined"] as? [String: Any], "\(jsonResult)")
            #expect(joined["room_id"] as? String == room)
            #expect(uint(joined["user_id"]) == bob.userID)
            #expect(joined["username"] as? String == "bob")
            #expect(joined["source_server"] as? String == cluster.ids[1])
            #expect(joined.keys.contains("target_server"), "target_server is always present: \(joined)")
            #expect(lines[1]["channel"] as? String == "cluster:node:\(cluster.ids[0])", "direct routing to alice's node: \(jsonResult)")
            let signal = try #require(lines[1]["WebRTCSignal"] as? [String: Any], "\(jsonResult)")
            #expect(signal["room_id"] as? String == room)
            #expect(uint(signal["from_user"]) == bob.userID)
            #expect(uint(signal["to_user"]) == alice.userID)
            #expect(signal["signal_type"] as? String == "offer")
            #expect(signal["signal_data"] as? String == Self.sdp, "the raw payload, byte for byte")
            #expect(signal["source_server"] as? String == cluster.ids[1])

            // Each line is the published payload's members plus "channel" and "time", nothing else changed.
            try await eventually("the recorder saw both messages") { events.seen.count >= 2 }
            let published = events.seen
            try #require(published.count == 2, "\(published)")
            for (line, message) in zip(lines, published) {
                var members = line
                members["channel"] = nil
                members["time"] = nil
                let payload = try #require(try JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any])
                #expect(NSDictionary(dictionary: members).isEqual(to: payload), "\(line) vs \(message.payload)")
                #expect(line["channel"] as? String == message.channel)
            }

            let textResult = await text.finish(timeout: .seconds(15))
            #expect(textResult.exitCode == 0 && !textResult.timedOut, "\(textResult)")
            #expect(!containsEscapes(textResult.stdout), "no color when stdout is not a terminal: \(textResult)")
            let traffic = textResult.stdoutLines.filter { !$0.hasPrefix("listening on") }
            try #require(traffic.count == 2, "\(textResult)")
            #expect(traffic[0].contains("cluster:messages") && traffic[0].contains("UserJoined") && traffic[0].contains("room=\(room)"),
                    "\(textResult)")
            #expect(traffic[0].contains("user \(bob.userID)") && traffic[0].contains(cluster.ids[1]), "\(textResult)")
            #expect(traffic[1].contains("WebRTCSignal/offer") && traffic[1].contains("room=\(room)"), "\(textResult)")
            #expect(traffic[1].contains("\(bob.userID) → \(alice.userID)"), "\(textResult)")
            // Each line ends with the size of the published payload in bytes.
            for (line, message) in zip(traffic, published) {
                #expect(line.hasSuffix("  \(message.payload.utf8.count)B"), "\(line) vs \(message.payload)")
            }
            // The time of day leads each line.
            #expect(traffic.allSatisfy { $0.range(of: #"^\d\d:\d\d:\d\d"#, options: .regularExpression) != nil }, "\(textResult)")
            await events.stop()
        }

        @Test func filtersByTypeRoomAndUser() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast, OpsCluster.fast])
            let tag = UUID().uuidString.prefix(6).lowercased()
            let r1 = "one-\(tag)", r2 = "two-\(tag)"
            let p1 = try await Peer.join(cluster.nodes[0], name: "p1", room: r1)
            let q1 = try await Peer.join(cluster.nodes[0], name: "q1", room: r2)
            let url = ["--redis-url", cluster.redis.url, "--format", "json", "--count", "1"]

            let signalInR2 = try startSigctl(["tail", "--type", "WebRTCSignal", "--room", r2] + url)
            let anythingInR2 = try startSigctl(["tail", "--room", r2] + url)
            let anySignal = try startSigctl(["tail", "--type", "webrtcsignal"] + url)
            let aboutP1 = try startSigctl(["tail", "--user", "\(p1.userID)"] + url)
            let joinsOnNode1 = try startSigctl(["tail", "--type", "UserJoined", "--node", cluster.ids[1]] + url)
            let tails = [signalInR2, anythingInR2, anySignal, aboutP1, joinsOnNode1]
            for tail in tails { try await tail.waitForOutput("listening on", on: .stderr) }

            // a. p2 joins r1 from node 1; b. p2 offers p1; c. q2 joins r2 from node 1; d. q2 offers q1.
            let p2 = try await Peer.join(cluster.nodes[1], name: "p2", room: r1)
            try await p1.expect("UserJoined p2") { if case .userJoined = $0 { return true }; return false }
            try await p2.offer(to: p1.userID, sdp: "v=0 b")
            try await p1.expect("offer b") { $0 == .offer(room: r1, from: p2.userID, sdp: "v=0 b") }
            let q2 = try await Peer.join(cluster.nodes[1], name: "q2", room: r2)
            try await q1.expect("UserJoined q2") { if case .userJoined = $0 { return true }; return false }
            try await q2.offer(to: q1.userID, sdp: "v=0 d")
            try await q1.expect("offer d") { $0 == .offer(room: r2, from: q2.userID, sdp: "v=0 d") }

            var results: [CLIResult] = []
            for tail in tails { results.append(await tail.finish(timeout: .seconds(15))) }
            for result in results { #expect(result.exitCode == 0 && !result.timedOut, "\(result)") }
            let one = try results.map { result -> [String: Any] in
                let lines = try ndjson(result)
                try #require(lines.count == 1, "\(result)")
                return lines[0]
            }
            let d = one[0]["WebRTCSignal"] as? [String: Any]
            #expect(d?["room_id"] as? String == r2 && uint(d?["from_user"]) == q2.userID && d?["signal_data"] as? String == "v=0 d",
                    "--type WebRTCSignal --room r2 sees only d: \(results[0])")
            let c = one[1]["UserJoined"] as? [String: Any]
            #expect(c?["room_id"] as? String == r2 && uint(c?["user_id"]) == q2.userID, "--room r2 sees c first: \(results[1])")
            let b = one[2]["WebRTCSignal"] as? [String: Any]
            #expect(b?["room_id"] as? String == r1 && b?["signal_data"] as? String == "v=0 b",
                    "--type is case-insensitive and sees b first: \(results[2])")
            let aboutB = one[3]["WebRTCSignal"] as? [String: Any]
            #expect(uint(aboutB?["to_user"]) == p1.userID && aboutB?["signal_data"] as? String == "v=0 b",
                    "--user p1 skips p2's join and sees b: \(results[3])")
            let a = one[4]["UserJoined"] as? [String: Any]
            #expect(a?["room_id"] as? String == r1 && uint(a?["user_id"]) == p2.userID, "--type UserJoined --node n1 sees a: \(results[4])")

            // An unknown --type is a usage error, before connecting.
            let unknown = try await sigctl(["tail", "--type", "Nonsense", "--count", "1", "--redis-url", cluster.redis.url])
            #expect(unknown.exitCode >= 2 && unknown.stdout.isEmpty && unknown.stderr.contains("Nonsense"), "\(unknown)")
        }

        @Test func tailSurvivesARedisRestartAndSaysSo() async throws {
            let redis = try await RedisServer.start()
            let tail = try startSigctl(["tail", "--count", "1", "--format", "json", "--type", "ServerStarted", "--redis-url", redis.url])
            try await tail.waitForOutput("listening on", on: .stderr)
            try await redis.restart()
            try await tail.waitForOutput("re-subscribed", on: .stderr)
            #expect(tail.exited == nil, "still running after the restart")
            // A node would publish this on recovery; an operator's tool may too.
            try await redis.withConnection { c in
                _ = try await c.send("PUBLISH", "cluster:events", #"{"ServerStarted":{"node_id":"back-1","at":1704110400}}"#)
            }
            let result = await tail.finish(timeout: .seconds(15))
            #expect(result.exitCode == 0 && !result.timedOut, "\(result)")
            let lines = try ndjson(result)
            #expect(lines.count == 1, "\(result)")
            #expect((lines.first?["ServerStarted"] as? [String: Any])?["node_id"] as? String == "back-1", "\(result)")
            #expect(lines.first?["channel"] as? String == "cluster:events", "\(result)")
        }
    }
}
