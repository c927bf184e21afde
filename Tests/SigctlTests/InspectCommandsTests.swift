import Foundation
import RedisClient
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("rooms list|inspect and servers list|inspect against real nodes", .timeLimit(.minutes(2)))
    struct InspectCommands {
        /// Two nodes; alice on node 0 and bob on node 1 share a room, carol is alone in another room on node 1.
        struct World {
            let cluster: NodeCluster
            let room: String
            let side: String
            let alice: Peer
            let bob: Peer
            let carol: Peer
            var url: [String] { ["--redis-url", cluster.redis.url] }
        }

        func makeWorld() async throws -> World {
            let cluster = try await OpsCluster.start([OpsCluster.fast, OpsCluster.fast])
            let tag = UUID().uuidString.prefix(6).lowercased()
            let room = "ops-room-\(tag)", side = "side.room_\(tag)"
            let alice = try await Peer.join(cluster.nodes[0], name: "alice", room: room)
            let bob = try await Peer.join(cluster.nodes[1], name: "bob", room: room)
            let carol = try await Peer.join(cluster.nodes[1], name: "carol", room: side)
            // The nodes registered exactly these users, each on its own node.
            #expect(try await cluster.redis.hgetall("rooms:\(room):participants")
                == ["\(alice.userID)": cluster.ids[0], "\(bob.userID)": cluster.ids[1]])
            #expect(try await cluster.redis.hgetall("rooms:\(side):participants") == ["\(carol.userID)": cluster.ids[1]])
            return World(cluster: cluster, room: room, side: side, alice: alice, bob: bob, carol: carol)
        }

        /// The connections record of `user` on `node`, as stored.
        func record(_ redis: RedisServer, node: String, user: String) async throws -> [String: Any] {
            let raw = try await redis.hgetall("servers:\(node):connections")[user] ?? "{}"
            return try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] ?? [:]
        }

        @Test func roomsListInJSONAndTextMatchesRedis() async throws {
            let w = try await makeWorld()
            let redis = w.cluster.redis

            let json = try await sigctl(["rooms", "list", "--format", "json"] + w.url)
            #expect(json.exitCode == 0, "\(json)")
            let listed = try #require(try json.json() as? [[String: Any]], "\(json)")
            // What Redis holds, read directly.
            var expected: [(String, Int, [String])] = []
            for key in try await redis.keys("rooms:*:participants") {
                let room = String(key.dropFirst("rooms:".count).dropLast(":participants".count))
                let entries = try await redis.hgetall(key)
                expected.append((room, entries.count, Set(entries.values).sorted()))
            }
            expected.sort { $0.0 < $1.0 }
            #expect(expected.map(\.0) == [w.room, w.side].sorted())
            let got = listed.map { ($0["room_id"] as? String ?? "?", int($0["participant_count"]) ?? -1, $0["nodes"] as? [String] ?? []) }
            #expect(got.map(\.0) == expected.map(\.0), "rooms, sorted by id: \(json)")
            #expect(got.map(\.1) == expected.map(\.1), "\(json)")
            #expect(got.map(\.2) == expected.map(\.2), "\(json)")
            #expect(Set(listed.flatMap(\.keys)) == ["room_id", "participant_count", "nodes"], "\(json)")

            let text = try await sigctl(["rooms", "list"] + w.url)
            #expect(text.exitCode == 0, "\(text)")
            #expect(!containsEscapes(text.stdout), "no color when stdout is not a terminal: \(text)")
            let roomLine = try #require(text.stdoutLines.first { $0.hasPrefix(w.room + " ") }, "\(text)")
            #expect(roomLine.contains(" 2 ") && roomLine.contains("\(w.cluster.ids[0]), \(w.cluster.ids[1])"), "\(text)")
            let sideLine = try #require(text.stdoutLines.first { $0.hasPrefix(w.side + " ") }, "\(text)")
            #expect(sideLine.contains(" 1 ") && sideLine.contains(w.cluster.ids[1]) && !sideLine.contains(w.cluster.ids[0]), "\(text)")

            // The summary is a note: --quiet leaves it out, the table stays.
            #expect(text.stdoutLines.last == "2 rooms, 3 participants", "\(text)")
            let quiet = try await sigctl(["rooms", "list", "--quiet"] + w.url)
            #expect(quiet.exitCode == 0 && quiet.stdout.contains(w.room) && !quiet.stdout.contains("participants\n"), "\(quiet)")
            #expect(quiet.stdoutLines.count == 3, "header and two rooms: \(quiet)")

            // --match keeps the rooms whose id matches the glob, in text and JSON.
            let matched = try await sigctl(["rooms", "list", "--match", "ops-room-*", "--format", "json"] + w.url)
            #expect(matched.exitCode == 0, "\(matched)")
            let matchedRooms = try #require(try matched.json() as? [[String: Any]], "\(matched)")
            #expect(matchedRooms.map { $0["room_id"] as? String } == [w.room], "\(matched)")
            #expect(int(matchedRooms.first?["participant_count"]) == 2, "\(matched)")
            let matchedText = try await sigctl(["rooms", "list", "--match", "side.*"] + w.url)
            #expect(matchedText.exitCode == 0, "\(matchedText)")
            #expect(matchedText.stdout.contains(w.side) && !matchedText.stdout.contains(w.room), "\(matchedText)")
            let none = try await sigctl(["rooms", "list", "--match", "nothing-*", "--format", "json"] + w.url)
            #expect(none.exitCode == 0, "\(none)")
            #expect((try? none.json() as? [Any])?.isEmpty == true, "no match is an empty JSON array: \(none)")
        }

        @Test func roomsInspectInJSONAndTextMatchesRedis() async throws {
            let w = try await makeWorld()
            let redis = w.cluster.redis

            let json = try await sigctl(["rooms", "inspect", w.room, "--format", "json"] + w.url)
            #expect(json.exitCode == 0, "\(json)")
            let detail = try #require(try json.json() as? [String: Any], "\(json)")
            #expect(detail["room_id"] as? String == w.room)
            let participants = try #require(detail["participants"] as? [[String: Any]], "\(json)")
            let entries = try await redis.hgetall("rooms:\(w.room):participants")
            let users = entries.keys.compactMap { UInt64($0) }.sorted()
            #expect(participants.map { uint($0["user_id"]) } == users.map { Optional($0) }, "sorted by user id: \(json)")
            for p in participants {
                let user = "\(uint(p["user_id"]) ?? 0)"
                let node = try #require(entries[user])
                let stored = try await record(redis, node: node, user: user)
                #expect(p["node_id"] as? String == node, "\(p)")
                #expect(p["username"] as? String == stored["username"] as? String, "\(p) vs \(stored)")
                #expect(p["connected_at"] as? String == stored["connected_at"] as? String, "\(p) vs \(stored)")
                #expect(p["connection_id"] as? String == stored["connection_id"] as? String, "\(p) vs \(stored)")
                #expect(stored["room_id"] as? String == w.room)
                #expect(try await redis.exists("servers:\(node):heartbeat"))
                #expect(p["node_alive"] as? Bool == true, "\(p)")
                #expect(p["node_status"] as? String == "alive", "\(p)")
                #expect(p["orphan"] as? Bool == false, "\(p)")
            }
            #expect(Set(participants.compactMap { $0["username"] as? String }) == ["alice", "bob"])

            let text = try await sigctl(["rooms", "inspect", w.room] + w.url)
            #expect(text.exitCode == 0, "\(text)")
            #expect(!containsEscapes(text.stdout), "\(text)")
            #expect(text.stdout.contains(w.room), "\(text)")
            for (peer, node) in [(w.alice, w.cluster.ids[0]), (w.bob, w.cluster.ids[1])] {
                let line = try #require(text.stdoutLines.first { $0.hasPrefix("\(peer.userID) ") }, "\(text)")
                #expect(line.contains(peer.name) && line.contains(node) && line.contains("yes"), "\(line)")
                let stored = try await record(redis, node: node, user: "\(peer.userID)")
                #expect(line.contains(stored["connected_at"] as? String ?? "?"), "\(line)")
            }
            #expect(!text.stdout.contains("carol"), "\(text)")
        }

        @Test func serversListAndInspectInJSONAndTextMatchRedis() async throws {
            let w = try await makeWorld()
            let redis = w.cluster.redis

            // The nodes keep beating while the command runs, each beat writing the time of day: the heartbeat it lists
            // lies between what Redis holds before and after it, however long it takes.
            var beatsBefore: [String: Int64] = [:]
            for node in w.cluster.ids { beatsBefore[node] = Int64(try await redis.get("servers:\(node):heartbeat") ?? "") ?? 0 }
            let json = try await sigctl(["servers", "list", "--format", "json"] + w.url)
            #expect(json.exitCode == 0, "\(json)")
            let servers = try #require(try json.json() as? [[String: Any]], "\(json)")
            var known = Set<String>()
            for key in try await redis.keys("servers:*:connections") { known.insert(String(key.dropFirst(8).dropLast(12))) }
            for key in try await redis.keys("servers:*:heartbeat") { known.insert(String(key.dropFirst(8).dropLast(10))) }
            #expect(known == Set(w.cluster.ids))
            #expect(servers.map { $0["node_id"] as? String ?? "?" } == known.sorted(), "sorted by node id: \(json)")
            for s in servers {
                let node = s["node_id"] as? String ?? "?"
                let records = try await redis.hgetall("servers:\(node):connections")
                #expect(int(s["connection_count"]) == records.count, "\(s)")
                var rooms = Set<String>()
                for user in records.keys { rooms.insert(try await record(redis, node: node, user: user)["room_id"] as? String ?? "?") }
                #expect(s["rooms"] as? [String] == rooms.sorted(), "\(s)")
                #expect(s["alive"] as? Bool == true && s["status"] as? String == "alive", "\(s)")
                let before = beatsBefore[node] ?? 0
                let after = Int64(try await redis.get("servers:\(node):heartbeat") ?? "") ?? 0
                let listedBeat = Int64(int(s["heartbeat"]) ?? 0)
                #expect(before > 0 && (before...max(before, after)).contains(listedBeat),
                        "heartbeat \(listedBeat), Redis \(before) before and \(after) after")
                // The listed TTL is what was left of the 30 s set by the listed beat, which was written no earlier than
                // its own time of day (whole seconds, rounded down; Redis rounds the TTL to the nearest second).
                let ttl = int(s["heartbeat_ttl"]) ?? -1
                let sinceBeat = Int(Date.now.timeIntervalSince1970.rounded(.up)) - Int(listedBeat)
                #expect(ttl <= 30 && ttl >= 30 - sinceBeat - 1, "a 30 s heartbeat TTL, \(sinceBeat) s after the beat: \(s)")
                // The heartbeat's age, as the text table shows it: whole seconds since the listed beat.
                let age = try #require(int(s["heartbeat_age_s"]), "heartbeat_age_s: \(s)")
                #expect(age >= 0 && age <= sinceBeat, "heartbeat_age_s \(age), \(sinceBeat) s after the beat: \(s)")
            }
            #expect(int(servers.first { $0["node_id"] as? String == w.cluster.ids[1] }?["connection_count"]) == 2)

            let text = try await sigctl(["servers", "list"] + w.url)
            #expect(text.exitCode == 0, "\(text)")
            #expect(!containsEscapes(text.stdout), "\(text)")
            for (i, node) in w.cluster.ids.enumerated() {
                let line = try #require(text.stdoutLines.first { $0.hasPrefix(node + " ") }, "\(text)")
                #expect(line.contains("alive"), "\(line)")
                #expect(line.contains(i == 0 ? w.room : w.side), "\(line)")
            }

            // servers inspect: the node and its connections records, exactly as stored.
            let node = w.cluster.ids[1]
            let inspect = try await sigctl(["servers", "inspect", node, "--format", "json"] + w.url)
            #expect(inspect.exitCode == 0, "\(inspect)")
            let detail = try #require(try inspect.json() as? [String: Any], "\(inspect)")
            let server = try #require(detail["server"] as? [String: Any], "\(inspect)")
            #expect(server["node_id"] as? String == node)
            #expect(server["alive"] as? Bool == true)
            let inspectedBeat = try #require(int(server["heartbeat"]), "\(inspect)")
            let inspectedAge = try #require(int(server["heartbeat_age_s"]), "heartbeat_age_s: \(inspect)")
            #expect(inspectedAge >= 0 && inspectedAge <= Int(Date.now.timeIntervalSince1970.rounded(.up)) - inspectedBeat, "\(inspect)")
            let connections = try #require(detail["connections"] as? [[String: Any]], "\(inspect)")
            let stored = try await redis.hgetall("servers:\(node):connections")
            #expect(connections.map { uint($0["user_id"]) } == stored.keys.compactMap { UInt64($0) }.sorted().map { Optional($0) },
                    "\(inspect)")
            for c in connections {
                let record = try await record(redis, node: node, user: "\(uint(c["user_id"]) ?? 0)")
                for field in ["username", "room_id", "connected_at", "connection_id"] {
                    #expect(c[field] as? String == record[field] as? String, "\(field): \(c) vs \(record)")
                }
            }
            #expect(Set(connections.compactMap { $0["username"] as? String }) == ["bob", "carol"])
            #expect((detail["unreadable_records"] as? [Any])?.isEmpty == true, "\(inspect)")

            let inspectText = try await sigctl(["servers", "inspect", node] + w.url)
            #expect(inspectText.exitCode == 0, "\(inspectText)")
            #expect(!containsEscapes(inspectText.stdout), "\(inspectText)")
            #expect(inspectText.stdout.contains(node) && inspectText.stdout.contains("alive"), "\(inspectText)")
            for (user, raw) in stored {
                let record = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] ?? [:]
                let line = try #require(inspectText.stdoutLines.first { $0.hasPrefix(user + " ") }, "\(inspectText)")
                #expect(line.contains(record["connection_id"] as? String ?? "?"), "\(line)")
                #expect(line.contains(record["username"] as? String ?? "?"), "\(line)")
                #expect(line.contains(record["room_id"] as? String ?? "?"), "\(line)")
            }
        }

        @Test func invalidOrMissingIdsAreOneLineErrorsWithExitTwo() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast])
            let room = "present-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await Peer.join(cluster.nodes[0], name: "dora", room: room)
            let url = ["--redis-url", cluster.redis.url]
            let before = try await cluster.redis.snapshot()

            for format in [["--format", "text"], ["--format", "json"]] {
                expectOneLineError(try await sigctl(["rooms", "inspect", "bad name!"] + format + url), mentioning: ["bad name!"])
                expectOneLineError(try await sigctl(["rooms", "inspect", String(repeating: "x", count: 65)] + format + url))
                expectOneLineError(try await sigctl(["rooms", "inspect", "no-such-room"] + format + url), mentioning: ["no-such-room"])
                expectOneLineError(try await sigctl(["servers", "inspect", "no-such-node"] + format + url), mentioning: ["no-such-node"])
                expectOneLineError(try await sigctl(["servers", "inspect", "bad/node"] + format + url), mentioning: ["bad/node"])
            }
            // The room that exists is found (the errors above are not a broken connection).
            let ok = try await sigctl(["rooms", "inspect", room] + url)
            #expect(ok.exitCode == 0 && ok.stdout.contains("dora"), "\(ok)")
            #expect(try await cluster.redis.snapshot() == before, "inspecting changes nothing")
        }

        @Test func redisURLComesFromTheFlagThenEnvironmentThenDotEnv() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast])
            let node = cluster.ids[0]
            let deadPort = freeLoopbackPort()
            let dead = "redis://127.0.0.1:\(deadPort)"

            // Environment only.
            let fromEnv = try await sigctl(["servers", "list", "--format", "json"], environment: ["REDIS_URL": cluster.redis.url])
            #expect(fromEnv.exitCode == 0 && fromEnv.stdout.contains(node), "\(fromEnv)")
            // The flag wins over the environment.
            let flagWins = try await sigctl(["servers", "list", "--format", "json", "--redis-url", cluster.redis.url],
                                            environment: ["REDIS_URL": dead])
            #expect(flagWins.exitCode == 0 && flagWins.stdout.contains(node), "\(flagWins)")

            // A .env file in the working directory, written the way operators write them.
            let directory = makeTemporaryDirectory("sigctl-dotenv")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Data("# cluster settings\nexport REDIS_URL=\"\(cluster.redis.url)\"  # the ops Redis\n".utf8)
                .write(to: URL(fileURLWithPath: directory + "/.env"))
            let fromFile = try await sigctl(["servers", "list", "--format", "json"], workingDirectory: directory)
            #expect(fromFile.exitCode == 0 && fromFile.stdout.contains(node), "\(fromFile)")
            // The environment wins over .env.
            let envWins = try await sigctl(["servers", "list"], environment: ["REDIS_URL": dead], workingDirectory: directory)
            expectOneLineError(envWins, mentioning: ["127.0.0.1:\(deadPort)"])
        }
    }
}
