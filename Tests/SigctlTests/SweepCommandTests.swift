import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("sweep against a node killed with SIGKILL", .timeLimit(.minutes(2)))
    struct SweepCommand {
        /// Node 0 survives with a heartbeat interval so long that it never sweeps during the test; node 1 is killed
        /// with SIGKILL and its heartbeat then expired, so that only `sigctl sweep` sweeps it.
        struct Wreck {
            let cluster: NodeCluster
            let room: String
            let lonely: String
            let survivor: Peer
            let victims: [Peer]
            var url: [String] { ["--redis-url", cluster.redis.url] }
            var dead: String { cluster.ids[1] }
            var live: String { cluster.ids[0] }
        }

        func makeWreck() async throws -> Wreck {
            let cluster = try await OpsCluster.start([OpsCluster.slow, OpsCluster.victim])
            let tag = UUID().uuidString.prefix(6).lowercased()
            let room = "sweep-\(tag)", lonely = "lonely-\(tag)"
            let survivor = try await Peer.join(cluster.nodes[0], name: "sam", room: room)
            let bob = try await Peer.join(cluster.nodes[1], name: "bob", room: room)
            let carol = try await Peer.join(cluster.nodes[1], name: "carol", room: lonely)
            try await survivor.expect("UserJoined bob") { $0 == .userJoined(room: room, user: Participant(userID: bob.userID, username: "bob")) }

            cluster.nodes[1].signal(SIGKILL)
            #expect(await cluster.nodes[1].exit(timeout: .seconds(10)) != nil)
            try await cluster.expireHeartbeat(1)
            try await eventually("the killed node's heartbeat expires") {
                try await !cluster.redis.exists("servers:\(cluster.ids[1]):heartbeat")
            }
            // Dead by the protocol's definition: connections hash without a heartbeat.
            #expect(try await cluster.redis.hgetall("servers:\(cluster.ids[1]):connections").count == 2)
            #expect(try await cluster.redis.exists("servers:\(cluster.ids[0]):heartbeat"))
            return Wreck(cluster: cluster, room: room, lonely: lonely, survivor: survivor, victims: [bob, carol])
        }

        @Test func dryRunThenRefusalThenSweepWithYes() async throws {
            let w = try await makeWreck()
            let redis = w.cluster.redis
            let before = try await redis.snapshot()
            let events = try await EventRecorder.start(redis)
            let (bob, carol) = (w.victims[0], w.victims[1])

            // Before the sweep, the read commands show the dead node and flag its users as orphans.
            let servers = try await sigctl(["servers", "list", "--format", "json"] + w.url)
            let deadServer = try #require((try? servers.json() as? [[String: Any]])?.first { $0["node_id"] as? String == w.dead }, "\(servers)")
            #expect(deadServer["status"] as? String == "dead" && deadServer["alive"] as? Bool == false, "\(servers)")
            #expect(int(deadServer["connection_count"]) == 2 && deadServer["heartbeat"] == nil, "\(servers)")
            #expect(deadServer["heartbeat_age_s"] == nil, "no heartbeat, no age: \(servers)")
            let serversText = try await sigctl(["servers", "list"] + w.url)
            #expect(serversText.stdoutLines.first { $0.hasPrefix(w.dead + " ") }?.contains("dead") == true, "\(serversText)")
            let inspect = try await sigctl(["rooms", "inspect", w.room, "--format", "json"] + w.url)
            let participants = (try? inspect.json() as? [String: Any])?["participants"] as? [[String: Any]] ?? []
            let bobEntry = try #require(participants.first { uint($0["user_id"]) == bob.userID }, "\(inspect)")
            #expect(bobEntry["orphan"] as? Bool == true && bobEntry["orphan_reason"] as? String == "node_dead", "\(inspect)")
            #expect(bobEntry["node_alive"] as? Bool == false && bobEntry["node_id"] as? String == w.dead, "\(inspect)")
            let samEntry = try #require(participants.first { uint($0["user_id"]) == w.survivor.userID }, "\(inspect)")
            #expect(samEntry["orphan"] as? Bool == false && samEntry["node_alive"] as? Bool == true, "\(inspect)")
            let inspectText = try await sigctl(["rooms", "inspect", w.room] + w.url)
            #expect(inspectText.stdoutLines.first { $0.hasPrefix("\(bob.userID) ") }?.contains("orphan") == true, "\(inspectText)")
            #expect(inspectText.stdoutLines.first { $0.hasPrefix("\(w.survivor.userID) ") }?.contains("orphan") == false, "\(inspectText)")
            #expect(try await redis.snapshot() == before, "reading changes nothing")

            // Dry run, text: exit 1 ("found something"), names the node and its users; nothing changes.
            let dry = try await sigctl(["sweep", "--dry-run"] + w.url)
            #expect(dry.exitCode == 1, "\(dry)")
            let would = try #require(dry.stdoutLines.first { $0.contains(w.dead) }, "\(dry)")
            #expect(would.contains("would sweep") && would.contains("2 users"), "\(dry)")
            #expect(dry.stdout.contains("user \(bob.userID) in \(w.room)") && dry.stdout.contains("user \(carol.userID) in \(w.lonely)"), "\(dry)")
            #expect(!containsEscapes(dry.stdout), "\(dry)")
            #expect(try await redis.snapshot() == before, "a dry run changes nothing")

            // Dry run, JSON: the report parses and names exactly the dead node's users.
            let dryJSON = try await sigctl(["sweep", "--dry-run", "--format", "json"] + w.url)
            #expect(dryJSON.exitCode == 1, "\(dryJSON)")
            let report = try #require(try dryJSON.json() as? [String: Any], "\(dryJSON)")
            #expect(report["dry_run"] as? Bool == true && report["by"] as? String == "sigctl", "\(dryJSON)")
            #expect(int(report["users_removed"]) == 2, "\(dryJSON)")
            let nodes = report["nodes"] as? [[String: Any]] ?? []
            let deadNode = try #require(nodes.first { $0["node_id"] as? String == w.dead }, "\(dryJSON)")
            #expect(deadNode["outcome"] as? String == "would_sweep", "\(deadNode)")
            let removed = (deadNode["removed"] as? [[String: Any]] ?? []).map { "\(uint($0["user_id"]) ?? 0)@\($0["room_id"] as? String ?? "?")" }
            let stored = try await redis.hgetall("servers:\(w.dead):connections")
            #expect(Set(removed) == Set(stored.keys.map { user in
                "\(user)@\((try? JSONSerialization.jsonObject(with: Data(stored[user]!.utf8)) as? [String: Any])?["room_id"] as? String ?? "?")"
            }), "the dry run lists what Redis holds: \(dryJSON)")
            #expect(Set(removed) == ["\(bob.userID)@\(w.room)", "\(carol.userID)@\(w.lonely)"])
            #expect(nodes.first { $0["node_id"] as? String == w.live }?["outcome"] as? String == "alive", "\(dryJSON)")
            #expect(try await redis.snapshot() == before, "a dry run changes nothing")

            // --explain prints the commands and runs nothing.
            let explain = try await sigctl(["sweep", "--explain"] + w.url)
            #expect(explain.exitCode == 0, "\(explain)")
            for command in ["SCAN", "HSCAN", "EVALSHA", "servers:*:connections", "PUBLISH"] {
                #expect(explain.stdout.contains(command), "explain mentions \(command): \(explain)")
            }
            let explainJSON = try await sigctl(["sweep", "--explain", "--format", "json"] + w.url)
            #expect(explainJSON.exitCode == 0, "\(explainJSON)")
            let steps = try #require(try explainJSON.json() as? [[String: Any]], "\(explainJSON)")
            #expect(!steps.isEmpty && steps.allSatisfy { $0["command"] is String && $0["purpose"] is String }, "\(explainJSON)")
            #expect(try await redis.snapshot() == before, "--explain changes nothing")

            // --dry-run --explain: the commands a sweep would run on the dead node it finds, with that node's keys,
            // users and payloads filled in, and dry-run's exit status.
            let plan = try await sigctl(["sweep", "--dry-run", "--explain"] + w.url)
            #expect(plan.exitCode == 1, "\(plan)")
            let concrete = [
                "servers:\(w.dead):sweeping",
                "HSCAN servers:\(w.dead):connections",
                "HDEL servers:\(w.dead):connections \(bob.userID)",
                "HDEL servers:\(w.dead):connections \(carol.userID)",
                "HDEL rooms:\(w.room):participants \(bob.userID)",
                "HDEL rooms:\(w.lonely):participants \(carol.userID)",
                #"PUBLISH cluster:messages {"UserLeft":{"room_id":"\#(w.room)","user_id":\#(bob.userID),"#,
                #"PUBLISH cluster:messages {"UserLeft":{"room_id":"\#(w.lonely)","user_id":\#(carol.userID),"#,
                #"PUBLISH cluster:events {"ServerSwept":{"node_id":"\#(w.dead)","users_removed":2,"by":"sigctl""#,
            ]
            for command in concrete {
                #expect(plan.stdout.contains(command), "--dry-run --explain shows \(command): \(plan)")
            }
            for placeholder in ["{node}", "{user}", "{room}"] {
                #expect(!plan.stdout.contains(placeholder), "no placeholder \(placeholder) left: \(plan)")
            }
            #expect(!plan.stdout.contains("servers:\(w.live):"), "nothing of the live node: \(plan)")
            #expect(!plan.stdoutLines.contains { $0.hasSuffix("HDEL rooms:\(w.room):participants \(w.survivor.userID)") },
                    "the survivor stays: \(plan)")
            #expect(!containsEscapes(plan.stdout), "\(plan)")
            let planJSON = try await sigctl(["sweep", "--dry-run", "--explain", "--format", "json"] + w.url)
            #expect(planJSON.exitCode == 1, "\(planJSON)")
            let explained = try #require(try planJSON.json() as? [String: Any], "\(planJSON)")
            #expect(explained["dry_run"] as? Bool == true && explained["by"] as? String == "sigctl", "\(planJSON)")
            let planned = explained["nodes"] as? [[String: Any]] ?? []
            #expect(planned.map { $0["node_id"] as? String } == [w.dead], "only the dead node: \(planJSON)")
            #expect(int(planned.first?["users_removed"]) == 2, "\(planJSON)")
            let plannedCommands = (planned.first?["steps"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String }
            for command in concrete {
                #expect(plannedCommands.contains { $0.contains(command) }, "JSON steps show \(command): \(planJSON)")
            }
            #expect(try await redis.snapshot() == before, "--dry-run --explain changes nothing")

            // Without --yes and without a terminal: refused, nothing changed.
            let refused = try await sigctl(["sweep"] + w.url)
            expectOneLineError(refused, mentioning: ["--yes"])
            let refusedNode = try await sigctl(["sweep", "--node", w.dead] + w.url, input: .text("y\n"))
            expectOneLineError(refusedNode, mentioning: ["--yes"])
            #expect(try await redis.snapshot() == before, "a refused sweep changes nothing")
            try await events.drain(["cluster:messages", "cluster:events"])
            #expect(!events.seen.contains { $0.payload.contains("UserLeft") || $0.payload.contains("ServerSwept") },
                    "nothing was published: \(events.seen)")

            // For real.
            let swept = try await sigctl(["sweep", "--yes"] + w.url)
            #expect(swept.exitCode == 0, "\(swept)")
            let line = try #require(swept.stdoutLines.first { $0.contains(w.dead) }, "\(swept)")
            #expect(line.hasPrefix("swept") && line.contains("removed 2 users"), "\(swept)")
            #expect(swept.stdout.contains("user \(bob.userID) in \(w.room)") && swept.stdout.contains("user \(carol.userID) in \(w.lonely)"), "\(swept)")

            #expect(try await redis.hgetall("rooms:\(w.room):participants") == ["\(w.survivor.userID)": w.live], "only the survivor is left")
            #expect(try await !redis.exists("rooms:\(w.lonely):participants"), "a room of dead users only is gone")
            #expect(try await !redis.exists("servers:\(w.dead):connections"))
            #expect(try await !redis.exists("servers:\(w.dead):sweeping"), "the claim is released")
            #expect(try await redis.hgetall("servers:\(w.live):connections").keys.sorted() == ["\(w.survivor.userID)"])

            // Observed by a subscriber: one UserLeft per removed user and one ServerSwept by sigctl.
            try await eventually("ServerSwept published") { events.seen.contains { $0.payload.contains("ServerSwept") } }
            // Once the sentinels are heard, a second announcement of anything would have been heard too.
            try await events.drain(["cluster:messages", "cluster:events"])
            let lefts = events.objects.compactMap { $0["UserLeft"] as? [String: Any] }
            #expect(Set(lefts.map { "\(uint($0["user_id"]) ?? 0)@\($0["room_id"] as? String ?? "?")" })
                == ["\(bob.userID)@\(w.room)", "\(carol.userID)@\(w.lonely)"], "\(events.seen)")
            #expect(lefts.count == 2, "each user announced once: \(events.seen)")
            #expect(events.seen.filter { $0.payload.contains("UserLeft") }.allSatisfy { $0.channel == "cluster:messages" })
            let sweptEvents = events.objects.compactMap { $0["ServerSwept"] as? [String: Any] }
            #expect(sweptEvents.count == 1, "\(events.seen)")
            #expect(sweptEvents.first?["node_id"] as? String == w.dead)
            #expect(sweptEvents.first?["by"] as? String == "sigctl", "sigctl swept, not the surviving node")
            #expect(int(sweptEvents.first?["users_removed"]) == 2)
            // And by the survivor's client, in the same room on the surviving node.
            try await w.survivor.expect("UserLeft bob") { $0 == .userLeft(room: w.room, userID: bob.userID) }

            // Nothing is left to sweep.
            let again = try await sigctl(["sweep", "--dry-run", "--format", "json"] + w.url)
            #expect(again.exitCode == 0, "\(again)")
            let againNodes = (try? again.json() as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
            #expect(!againNodes.contains { $0["outcome"] as? String == "would_sweep" }, "\(again)")
            let serversAfter = try await sigctl(["servers", "list", "--format", "json"] + w.url)
            #expect((try? serversAfter.json() as? [[String: Any]])?.map { $0["node_id"] as? String } == [w.live], "\(serversAfter)")
            await events.stop()
        }

        @Test func sweepWithYesInJSONReportsWhatItRemoved() async throws {
            let w = try await makeWreck()
            let redis = w.cluster.redis
            let events = try await EventRecorder.start(redis)
            let swept = try await sigctl(["sweep", "--yes", "--node", w.dead, "--format", "json"] + w.url)
            #expect(swept.exitCode == 0, "\(swept)")
            let report = try #require(try swept.json() as? [String: Any], "\(swept)")
            #expect(report["dry_run"] as? Bool == false && report["by"] as? String == "sigctl", "\(swept)")
            let nodes = report["nodes"] as? [[String: Any]] ?? []
            #expect(nodes.map { $0["node_id"] as? String } == [w.dead], "--node limits the sweep to that node: \(swept)")
            #expect(nodes.first?["outcome"] as? String == "swept", "\(swept)")
            #expect(int(nodes.first?["users_removed"]) == 2 && int(nodes.first?["records_removed"]) == 2, "\(swept)")
            #expect(try await !redis.exists("servers:\(w.dead):connections"))
            #expect(try await redis.hgetall("rooms:\(w.room):participants") == ["\(w.survivor.userID)": w.live])
            try await w.survivor.expect("UserLeft bob") { $0 == .userLeft(room: w.room, userID: w.victims[0].userID) }
            try await eventually("ServerSwept published") {
                events.objects.contains { ($0["ServerSwept"] as? [String: Any])?["by"] as? String == "sigctl" }
            }
            await events.stop()
        }

        @Test func sweepNodeRefusesALiveNode() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.slow])
            let node = cluster.ids[0]
            let peer = try await Peer.join(cluster.nodes[0], name: "liv", room: "alive-room")
            let url = ["--redis-url", cluster.redis.url]
            let before = try await cluster.redis.snapshot()
            let events = try await EventRecorder.start(cluster.redis)

            for extra in [["--yes"], ["--dry-run"], ["--yes", "--format", "json"], []] {
                let refused = try await sigctl(["sweep", "--node", node] + extra + url)
                expectOneLineError(refused, mentioning: [node, "--force"])
            }
            // An unknown node is an error too, not a silent success.
            expectOneLineError(try await sigctl(["sweep", "--node", "no-such-node", "--yes"] + url), mentioning: ["no-such-node"])
            #expect(try await cluster.redis.snapshot() == before, "nothing changed")
            #expect(try await cluster.redis.hgetall("rooms:alive-room:participants") == ["\(peer.userID)": node])
            try await events.drain(["cluster:messages", "cluster:events"])
            #expect(events.seen.isEmpty, "nothing published: \(events.seen)")

            // --force sweeps it anyway: the heartbeat goes first, then its users, announced like any sweep. The node
            // is stalled (SIGSTOP) meanwhile: running, it could notice its heartbeat gone and re-register before the
            // sweep claims it.
            cluster.nodes[0].signal(SIGSTOP)
            let forced: CLIResult
            do {
                forced = try await sigctl(["sweep", "--node", node, "--force", "--yes", "--format", "json"] + url)
            } catch {
                cluster.nodes[0].signal(SIGCONT)
                throw error
            }
            cluster.nodes[0].signal(SIGCONT)
            #expect(forced.exitCode == 0, "\(forced)")
            let nodes = (try? forced.json() as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
            #expect(nodes.map { $0["node_id"] as? String } == [node] && nodes.first?["outcome"] as? String == "swept", "\(forced)")
            #expect(int(nodes.first?["users_removed"]) == 1, "\(forced)")
            try await eventually("UserLeft and ServerSwept published") {
                events.objects.contains { uint(($0["UserLeft"] as? [String: Any])?["user_id"]) == peer.userID }
                    && events.objects.contains { ($0["ServerSwept"] as? [String: Any])?["by"] as? String == "sigctl" }
            }
            // The node is alive: it notices it was swept and re-enters the cluster (PROTOCOL.md §2), its user with it.
            try await eventually("the swept node re-registers") {
                let participants = try await cluster.redis.hgetall("rooms:alive-room:participants")
                let beating = try await cluster.redis.exists("servers:\(node):heartbeat")
                return participants == ["\(peer.userID)": node] && beating
            }
            try await eventually("ServerStarted published") {
                events.objects.contains { ($0["ServerStarted"] as? [String: Any])?["node_id"] as? String == node }
            }
            await events.stop()
        }

        @Test func onATerminalSweepAsksFirst() async throws {
            let w = try await makeWreck()
            let redis = w.cluster.redis
            let before = try await redis.snapshot()
            let home = makeTemporaryDirectory("sigctl-home")
            defer { try? FileManager.default.removeItem(atPath: home) }
            let environment = ["HOME": home, "TERM": "xterm", "LANG": "C.UTF-8",
                               "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            let argv = [try sigctlBinary(), "sweep"] + w.url

            // "n" (or anything but y/yes) changes nothing.
            let declined = try await TerminalDialog(argv: argv, environment: environment, workingDirectory: home,
                                                    steps: [.expect("[y/N]"), .send("n\r"), .exit()]).run()
            #expect(declined.failure == nil && declined.exit == 0, "\(declined)")
            #expect(declined.transcript.contains("1 dead node") && declined.transcript.contains("2 users"), "\(declined)")
            #expect(try await redis.snapshot() == before, "declined: nothing changed")

            // "y" sweeps.
            let accepted = try await TerminalDialog(argv: argv, environment: environment, workingDirectory: home,
                                                    steps: [.expect("[y/N]"), .send("y\r"), .expect("swept"), .exit()]).run()
            #expect(accepted.failure == nil && accepted.exit == 0, "\(accepted)")
            #expect(accepted.transcript.contains("removed 2 users"), "\(accepted)")
            #expect(try await !redis.exists("servers:\(w.dead):connections"))
            #expect(try await redis.hgetall("rooms:\(w.room):participants") == ["\(w.survivor.userID)": w.live])
        }
    }
}
