import ClusterState
import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

@Suite("Cluster mode with real nodes and a real Redis", .timeLimit(.minutes(3)))
struct ClusterModeTests {
    static let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=caf\u{e9} \u{2713} \u{1F3A5}\r\na=\"quoted\\\"\r\n"

    @Test func threeNodesSeeEachOtherAndRelayInEveryDirection() async throws {
        let cluster = try await NodeCluster.start(nodes: 3)
        let alice = try await Peer.connect(cluster.nodes[0], name: "alice")
        let bob = try await Peer.connect(cluster.nodes[1], name: "bob")
        let carol = try await Peer.connect(cluster.nodes[2], name: "carol")

        #expect(try await alice.join("room1").isEmpty)
        #expect(try await bob.join("room1") == [Participant(userID: alice.userID, username: "alice")])
        let carolSees = try await carol.join("room1")
        #expect(carolSees == [Participant(userID: alice.userID, username: "alice"), Participant(userID: bob.userID, username: "bob")]
            .sorted { $0.userID < $1.userID })
        try await alice.expect("UserJoined bob") { $0 == .userJoined(room: "room1", user: Participant(userID: bob.userID, username: "bob")) }
        try await alice.expect("UserJoined carol") { $0 == .userJoined(room: "room1", user: Participant(userID: carol.userID, username: "carol")) }
        try await bob.expect("UserJoined carol") { $0 == .userJoined(room: "room1", user: Participant(userID: carol.userID, username: "carol")) }
        #expect(Set([alice.userID, bob.userID, carol.userID]).count == 3)

        // Someone in another room, on a node that also hosts room1.
        let dave = try await Peer.connect(cluster.nodes[1], name: "dave")
        #expect(try await dave.join("room2").isEmpty)

        // Every ordered pair, byte-exact SDP with CRLF, quotes and non-ASCII.
        let peers = [alice, bob, carol]
        for sender in peers {
            for receiver in peers where receiver !== sender {
                let sdp = Self.sdp + "a=from:\(sender.name)\r\n"
                try await sender.offer(to: receiver.userID, sdp: sdp)
                let got = try await receiver.next()
                #expect(got == .offer(room: "room1", from: sender.userID, sdp: sdp))
            }
        }
        // An ICE candidate with every optional field crosses nodes intact.
        let candidate = IceCandidate(candidate: "candidate:1 1 UDP 2122252543 192.0.2.1 54400 typ host", sdpMid: "0",
                                     sdpMLineIndex: 0, usernameFragment: "f\u{fc}nf")
        try await carol.ws.send(ClientMessage.iceCandidate(room: "room1", candidate: candidate, target: alice.userID).encoded())
        #expect(try await alice.next() == .iceCandidate(room: "room1", from: carol.userID, candidate: candidate))
        let bare = IceCandidate(candidate: "")
        try await alice.ws.send(ClientMessage.iceCandidate(room: "room1", candidate: bare, target: carol.userID).encoded())
        #expect(try await carol.next() == .iceCandidate(room: "room1", from: alice.userID, candidate: bare))

        // The largest message a client may send crosses nodes byte for byte, although its escapes make the cluster
        // payload larger than the client's limit.
        let line = "a=fingerprint:sha-256 \"\u{e9}\"\r\n"
        var bigSDP = "v=0\r\n" + String(repeating: line, count: 2_000)
        while ClientMessage.offer(room: "room1", sdp: bigSDP + line, target: bob.userID).encoded().utf8.count <= Limits.maxMessageBytes {
            bigSDP += line
        }
        let relayed = ClusterMessage.webRTCSignal(.init(roomID: "room1", fromUser: alice.userID, toUser: bob.userID,
                                                        signalType: .offer, signalData: bigSDP, sourceServer: cluster.ids[0]))
        #expect(relayed.jsonBytes.count > Limits.maxMessageBytes, "the cluster payload is over the client limit")
        try await alice.offer(to: bob.userID, sdp: bigSDP)
        guard case .offer(let room, let from, let sdp) = try await bob.next() else { Issue.record("expected an Offer"); return }
        #expect(room == "room1" && from == alice.userID)
        #expect(Array(sdp.utf8) == Array(bigSDP.utf8), "byte for byte")

        // A relay across rooms is refused and delivers nothing.
        try await dave.offer(to: alice.userID, sdp: "v=0")
        guard case .error(let e) = try await dave.next() else { Issue.record("expected an error"); return }
        #expect(e.code == .targetNotFound)

        // Redis holds exactly the documented view.
        #expect(try await cluster.participants("room1") == [alice.userID: cluster.ids[0], bob.userID: cluster.ids[1], carol.userID: cluster.ids[2]])
        #expect(try await cluster.participants("room2") == [dave.userID: cluster.ids[1]])

        // Closing the socket is a Leave, announced once to everyone in the room on every node.
        await carol.ws.close()
        try await alice.expect("UserLeft carol") { $0 == .userLeft(room: "room1", userID: carol.userID) }
        try await bob.expect("UserLeft carol") { $0 == .userLeft(room: "room1", userID: carol.userID) }
        for peer in [alice, bob, dave] { try await peer.expectNothingPending() }
        #expect(alice.view == [bob.userID: "bob"])
        #expect(bob.view == [alice.userID: "alice"])
        try await eventually("carol unregistered") {
            try await cluster.participants("room1") == [alice.userID: cluster.ids[0], bob.userID: cluster.ids[1]]
        }
    }

    @Test(arguments: [["broadcast", "broadcast"], ["direct", "broadcast"]])
    func broadcastAndMixedRouting(routing: [String]) async throws {
        let cluster = try await NodeCluster.start(nodes: 2, routing: routing)
        let a = try await Peer.connect(cluster.nodes[0], name: "a")
        let b = try await Peer.connect(cluster.nodes[1], name: "b")
        try await a.join("mixed")
        try await b.join("mixed")
        try await a.expect("UserJoined b") { if case .userJoined = $0 { return true }; return false }
        for (sender, receiver) in [(a, b), (b, a)] {
            try await sender.offer(to: receiver.userID, sdp: Self.sdp)
            #expect(try await receiver.next() == .offer(room: "mixed", from: sender.userID, sdp: Self.sdp))
        }
        // Many messages from one sender keep their order across nodes.
        for i in 0..<50 { try await a.offer(to: b.userID, sdp: "n=\(i)") }
        for i in 0..<50 { #expect(try await b.next() == .offer(room: "mixed", from: a.userID, sdp: "n=\(i)")) }
        try await a.expectNothingPending()
    }

    /// A heartbeat that runs alongside a node's first join (or its last leave) finds no connections hash, as it
    /// would if the node's records had vanished; that alone must not send the node into recovery (which would
    /// answer cross-node signals with `server_busy` meanwhile). One user joins and leaves over and over while the
    /// node beats every 20 ms.
    @Test func beatsDuringFirstJoinsAndLastLeavesDoNotLookLikeAVanishedRegistration() async throws {
        let cluster = try await NodeCluster.start([["--heartbeat-interval", "20ms", "--heartbeat-ttl", "30s",
                                                     "--rate-limit", "10000", "--rate-limit-burst", "20000"]])
        let peer = try await Peer.connect(cluster.nodes[0], name: "p")
        for _ in 0..<150 {
            try await peer.join("flip")
            try await peer.ws.send(ClientMessage.leave(room: "flip").encoded())
            try await peer.expect("RoomLeft") { $0 == .roomLeft(room: "flip") }
        }
        // The records really vanishing is still noticed (the check is not simply off).
        try await peer.join("flip")
        #expect(!cluster.nodes[0].log.contains("registration vanished"), "\(cluster.nodes[0].log.suffix(2000))")
        try await cluster.redis.withConnection { _ = try await $0.send("DEL", "servers:\(cluster.ids[0]):connections") }
        try await eventually("the node re-registers its user") {
            let record = try await cluster.redis.withConnection {
                try await $0.send("HEXISTS", "servers:\(cluster.ids[0]):connections", peer.userID)
            }
            return record.int == 1
        }
        #expect(try await cluster.participants("flip") == [peer.userID: cluster.ids[0]])
        #expect(cluster.nodes[0].log.contains("registration vanished"))
    }

    /// A join whose registration fails while Redis stays reachable (here: the room's key has the wrong type) is a
    /// local join; once Redis accepts the registration, each node registers its members within a heartbeat
    /// interval and the rooms come together: each member hears of the other exactly once, and later joiners see them.
    @Test func joinsWhoseRegistrationFailedAreRegisteredOnceRedisAcceptsThem() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        try await cluster.redis.withConnection { _ = try await $0.send("SET", "rooms:owed:participants", "not a hash") }
        let alice = try await Peer.connect(cluster.nodes[0], name: "alice")
        let carol = try await Peer.connect(cluster.nodes[1], name: "carol")
        #expect(try await alice.join("owed").isEmpty)
        #expect(try await carol.join("owed").isEmpty)
        for node in cluster.nodes {
            try await eventually("the failed registration is logged") { node.log.contains("cluster registration failed") }
        }
        #expect(try await cluster.redis.withConnection {
            try await $0.send("HEXISTS", "servers:\(cluster.ids[0]):connections", alice.userID)
        }.int == 0)
        // Both nodes stay clustered: a failed command is not an outage, and a member without a record because its
        // registration failed is no sign that the node's records vanished (a node whose only members are such would
        // otherwise go through recovery at every heartbeat).
        for node in cluster.nodes {
            try await eventually("registration retried three times") {
                node.log.components(separatedBy: "registration retry failed").count > 3
            }
        }
        #expect(try await cluster.health(0)["mode"] as? String == "cluster")
        // Operators see them: /health and /metrics count the members other nodes cannot see.
        #expect(try await cluster.health(0)["unregistered_members"] as? Int == 1)
        #expect(try await httpGet(port: cluster.nodes[0].port, path: "/metrics").body.contains("sigctl_cluster_unregistered_members 1"))

        try await cluster.redis.withConnection { _ = try await $0.send("DEL", "rooms:owed:participants") }
        try await eventually("both members are registered") {
            try await cluster.participants("owed") == [alice.userID: cluster.ids[0], carol.userID: cluster.ids[1]]
        }
        for i in cluster.nodes.indices {
            try await eventually("node \(i) counts no unregistered member") {
                try await cluster.health(i)["unregistered_members"] as? Int == 0
            }
        }
        #expect(try await httpGet(port: cluster.nodes[0].port, path: "/metrics").body.contains("sigctl_cluster_unregistered_members 0"))
        try await alice.expect("UserJoined carol") { $0 == .userJoined(room: "owed", user: Participant(userID: carol.userID, username: "carol")) }
        try await carol.expect("UserJoined alice") { $0 == .userJoined(room: "owed", user: Participant(userID: alice.userID, username: "alice")) }
        let bob = try await Peer.connect(cluster.nodes[1], name: "bob")
        #expect(Set(try await bob.join("owed")) == [Participant(userID: alice.userID, username: "alice"),
                                                    Participant(userID: carol.userID, username: "carol")])
        try await alice.expect("UserJoined bob") { $0 == .userJoined(room: "owed", user: Participant(userID: bob.userID, username: "bob")) }
        try await carol.expect("UserJoined bob") { $0 == .userJoined(room: "owed", user: Participant(userID: bob.userID, username: "bob")) }
        try await alice.offer(to: carol.userID, sdp: "v=0")
        #expect(try await carol.next() == .offer(room: "owed", from: alice.userID, sdp: "v=0"))
        try await alice.expectNothingPending()
        try await carol.expectNothingPending()
        #expect(alice.log.filter { $0 == .userJoined(room: "owed", user: Participant(userID: carol.userID, username: "carol")) }.count == 1)
        #expect(carol.log.filter { $0 == .userJoined(room: "owed", user: Participant(userID: alice.userID, username: "alice")) }.count == 1)
        for node in cluster.nodes {
            try await eventually("the retry is logged") { node.log.contains("registered a member whose join registration had failed") }
            #expect(!node.log.contains("registration vanished"), "\(node.log.suffix(2000))")
        }
    }

    /// A member told of local users only (its registration failed) is owed exactly the remote users it missed: it
    /// hears once of a remote user who arrives meanwhile, nothing of the departure of one it never heard of, and,
    /// once the node registers it, of the remote users the others knew all along.
    @Test func aMemberWithoutRegistrationIsOwedExactlyWhatItMissed() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let bob = try await Peer.join(cluster.nodes[1], name: "bob", room: "r")
        let erin = try await Peer.join(cluster.nodes[1], name: "erin", room: "r")
        let dave = try await Peer.connect(cluster.nodes[0], name: "dave")
        #expect(Set(try await dave.join("r")) == [Participant(userID: bob.userID, username: "bob"), Participant(userID: erin.userID, username: "erin")])
        // Node 0's registrations fail from now on: its connections key holds a string (kept, so its records have
        // not vanished).
        let connectionsKey = "servers:\(cluster.ids[0]):connections"
        let daveRecord = try await cluster.redis.hgetall(connectionsKey)
        try await cluster.redis.withConnection { _ = try await $0.send("SET", connectionsKey, "not a hash") }
        let alice = try await Peer.connect(cluster.nodes[0], name: "alice")
        #expect(try await alice.join("r") == [Participant(userID: dave.userID, username: "dave")])
        try await eventually("the failed registration is logged") { cluster.nodes[0].log.contains("cluster registration failed") }

        let carol = try await Peer.join(cluster.nodes[1], name: "carol", room: "r")
        try await alice.expect("UserJoined carol") { $0 == .userJoined(room: "r", user: Participant(userID: carol.userID, username: "carol")) }
        try await bob.ws.send(ClientMessage.leave(room: "r").encoded())
        try await dave.expect("UserLeft bob") { $0 == .userLeft(room: "r", userID: bob.userID) }

        // The key is repaired (dave's record with it); node 0 registers alice within a heartbeat interval.
        try await cluster.redis.withConnection { redis in
            var arguments: [any RedisArgument] = ["redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], unpack(ARGV))", 1, connectionsKey]
            for (field, value) in daveRecord { arguments += [field, value] }
            _ = try await redis.send(RedisCommand("EVAL", arguments: arguments))
        }
        try await alice.expect("UserJoined erin") { $0 == .userJoined(room: "r", user: Participant(userID: erin.userID, username: "erin")) }
        try await erin.expect("UserJoined alice") { $0 == .userJoined(room: "r", user: Participant(userID: alice.userID, username: "alice")) }
        try await carol.expect("UserJoined alice") { $0 == .userJoined(room: "r", user: Participant(userID: alice.userID, username: "alice")) }
        #expect(try await cluster.participants("r") == [dave.userID: cluster.ids[0], alice.userID: cluster.ids[0],
                                                        erin.userID: cluster.ids[1], carol.userID: cluster.ids[1]])
        try await alice.expectNothingPending()
        let heard = alice.log.filter {
            switch $0 {
            case .userJoined, .userLeft: true
            default: false
            }
        }
        #expect(heard == [.userJoined(room: "r", user: Participant(userID: carol.userID, username: "carol")),
                          .userJoined(room: "r", user: Participant(userID: erin.userID, username: "erin"))])
        #expect(!cluster.nodes[0].log.contains("registration vanished"))
    }

    /// One room key of the wrong type must not keep a recovering node out of the cluster: its other users are
    /// registered again and relay across nodes, and the refused member is registered once the key is fixed.
    @Test func aBadRoomKeyDoesNotStopARecovery() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let alice = try await Peer.join(cluster.nodes[0], name: "alice", room: "good")
        let dave = try await Peer.join(cluster.nodes[0], name: "dave", room: "bad")
        let bob = try await Peer.connect(cluster.nodes[1], name: "bob")
        #expect(try await bob.join("good") == [Participant(userID: alice.userID, username: "alice")])
        try await alice.expect("UserJoined bob") { $0 == .userJoined(room: "good", user: Participant(userID: bob.userID, username: "bob")) }

        // Node 0's registration vanishes, and dave's room key now holds a string.
        try await cluster.redis.withConnection { redis in
            _ = try await redis.send("SET", "rooms:bad:participants", "not a hash")
            _ = try await redis.send("HDEL", "rooms:good:participants", alice.userID)
            _ = try await redis.send("DEL", "servers:\(cluster.ids[0]):connections")
        }
        try await eventually("node 0 re-registers alice") {
            try await cluster.participants("good") == [alice.userID: cluster.ids[0], bob.userID: cluster.ids[1]]
        }
        try await eventually("node 0 is back in cluster mode") { try await cluster.health(0)["mode"] as? String == "cluster" }
        try await alice.offer(to: bob.userID, sdp: "v=0")
        #expect(try await bob.next() == .offer(room: "good", from: alice.userID, sdp: "v=0"))
        #expect(cluster.nodes[0].log.contains("cluster registration failed; will retry"))

        try await cluster.redis.withConnection { _ = try await $0.send("DEL", "rooms:bad:participants") }
        try await eventually("dave is registered") { try await cluster.participants("bad") == [dave.userID: cluster.ids[0]] }
    }

    /// A user-id counter that is not an integer does not keep a recovering node out of the cluster either: the
    /// node says why and carries on (new users would get provisional ids until the key is repaired).
    @Test func aCorruptIDCounterDoesNotStopARecovery() async throws {
        let cluster = try await NodeCluster.start(nodes: 1)
        let alice = try await Peer.join(cluster.nodes[0], name: "alice", room: "r")
        func recoveries() -> Int { cluster.nodes[0].log.components(separatedBy: "registered in the cluster").count - 1 }
        let before = recoveries()
        try await cluster.redis.withConnection { redis in
            _ = try await redis.send("SET", "users:next_id", "not a number")
            _ = try await redis.send("DEL", "servers:\(cluster.ids[0]):connections", "rooms:r:participants")
        }
        try await eventually("node 0 re-registers alice") { try await cluster.participants("r") == [alice.userID: cluster.ids[0]] }
        try await eventually("node 0 finishes a recovery") { recoveries() > before }
        #expect(try await cluster.health(0)["mode"] as? String == "cluster")
        #expect(cluster.nodes[0].log.contains("cannot raise the user-id counter"))
    }

    @Test func redisOutageFallsBackToLocalModeAndRecoversEmptyRedis() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let a1 = try await Peer.connect(cluster.nodes[0], name: "a1")
        let a2 = try await Peer.connect(cluster.nodes[0], name: "a2")
        let b1 = try await Peer.connect(cluster.nodes[1], name: "b1")
        try await a1.join("r")
        try await a2.join("r")
        try await b1.join("r")
        try await a1.expect("UserJoined a2") { $0 == .userJoined(room: "r", user: Participant(userID: a2.userID, username: "a2")) }
        try await a1.expect("UserJoined b1") { $0 == .userJoined(room: "r", user: Participant(userID: b1.userID, username: "b1")) }
        try await a2.expect("UserJoined b1") { $0 == .userJoined(room: "r", user: Participant(userID: b1.userID, username: "b1")) }

        cluster.redis.kill()
        try await cluster.waitForMode(0, "local")
        try await cluster.waitForMode(1, "local")
        #expect(try await cluster.health(0)["redis_connected"] as? Bool == false)

        // Same-node relay keeps working; cross-node relay is a clear error, not silence.
        try await a1.offer(to: a2.userID, sdp: Self.sdp)
        #expect(try await a2.next() == .offer(room: "r", from: a1.userID, sdp: Self.sdp))
        try await a1.offer(to: b1.userID, sdp: Self.sdp)
        guard case .error(let busy) = try await a1.next() else { Issue.record("expected server_busy"); return }
        #expect(busy.code == .serverBusy)
        // A new joiner during the outage sees local users only.
        let b2 = try await Peer.connect(cluster.nodes[1], name: "b2")
        #expect(try await b2.join("r") == [Participant(userID: b1.userID, username: "b1")])
        try await b1.expect("UserJoined b2") { $0 == .userJoined(room: "r", user: Participant(userID: b2.userID, username: "b2")) }

        // Redis comes back empty: every node re-registers, and cross-node relay works again. That takes a second or
        // two (the nodes retry Redis at least once a second); the bound leaves room for a machine that stalls for
        // several seconds meanwhile.
        try await cluster.redis.restart()
        let clock = ContinuousClock()
        let restarted = clock.now
        try await cluster.waitForMode(0, "cluster")
        try await cluster.waitForMode(1, "cluster")
        let expected = [a1.userID: cluster.ids[0], a2.userID: cluster.ids[0], b1.userID: cluster.ids[1], b2.userID: cluster.ids[1]]
        try await eventually("every user re-registered") { try await cluster.participants("r") == expected }
        let recovery = clock.now - restarted
        #expect(recovery < .seconds(20), "recovery took \(recovery)")

        // The clients on node 0 learn about b2, whom they missed.
        try await a1.expect("UserJoined b2") { $0 == .userJoined(room: "r", user: Participant(userID: b2.userID, username: "b2")) }
        try await a2.expect("UserJoined b2") { $0 == .userJoined(room: "r", user: Participant(userID: b2.userID, username: "b2")) }
        try await a1.offer(to: b2.userID, sdp: Self.sdp)
        try await b2.expect("offer from a1") { $0 == .offer(room: "r", from: a1.userID, sdp: Self.sdp) }

        // Every client's view converges on the participants hash, minus itself, with nothing extra.
        for peer in [a1, a2, b1, b2] {
            var want = Set(expected.keys)
            want.remove(peer.userID)
            try await peer.readUntil("its view matches the participants hash") { Set(peer.view.keys) == want }
            try await peer.expectNothingPending()
            #expect(Set(peer.view.keys) == want, "\(peer.name) sees \(peer.view)")
        }
        // Ids stay unique after the counter was lost: a fresh joiner gets an id above every local one.
        let c = try await cluster.redis.connect()
        defer { c.close() }
        let counter = try await c.send("GET", "users:next_id").int ?? 0
        #expect(UInt64(counter) >= expected.keys.max()!)
    }

    @Test func killedNodeIsSweptAndEachRoomMateHearsOneUserLeft() async throws {
        let cluster = try await NodeCluster.start(nodes: 3)
        let events = try await EventRecorder.start(cluster.redis)
        let a = try await Peer.connect(cluster.nodes[0], name: "a")
        let b = try await Peer.connect(cluster.nodes[1], name: "b")
        let c = try await Peer.connect(cluster.nodes[2], name: "c")
        try await a.join("k")
        try await b.join("k")
        try await c.join("k")
        try await a.expect("UserJoined c") { $0 == .userJoined(room: "k", user: Participant(userID: c.userID, username: "c")) }
        try await b.expect("UserJoined c") { $0 == .userJoined(room: "k", user: Participant(userID: c.userID, username: "c")) }

        // Dead: gone, and its heartbeat expired (by hand: a TTL short enough to wait out would let a live node that a
        // busy machine stalls look dead too).
        cluster.nodes[2].signal(SIGKILL)
        #expect(await cluster.nodes[2].exit(timeout: .seconds(20)) != nil)
        try await cluster.expireHeartbeat(2)
        try await a.expect("UserLeft c") { $0 == .userLeft(room: "k", userID: c.userID) }
        try await b.expect("UserLeft c") { $0 == .userLeft(room: "k", userID: c.userID) }
        #expect(try await cluster.participants("k") == [a.userID: cluster.ids[0], b.userID: cluster.ids[1]])
        #expect(try await !cluster.redis.exists("servers:\(cluster.ids[2]):connections"))
        // Two live nodes sweep the dead one: exactly one ServerSwept and one UserLeft go out, whoever wins.
        try await eventually("ServerSwept") { events.payloads.contains { $0.contains("ServerSwept") } }
        #expect(events.payloads.filter { $0.contains("ServerSwept") }.count == 1)
        #expect(events.payloads.filter { $0.hasPrefix("{\"UserLeft\"") && $0.contains("\"user_id\":\(c.userID),") }.count == 1)
        try await a.expectNothingPending()
        try await b.expectNothingPending()
        #expect(a.log.filter { $0 == .userLeft(room: "k", userID: c.userID) }.count == 1)
        #expect(b.log.filter { $0 == .userLeft(room: "k", userID: c.userID) }.count == 1)
        await events.stop()
    }

    @Test func sigtermDeregistersCleanly() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let events = try await EventRecorder.start(cluster.redis)
        let a = try await Peer.connect(cluster.nodes[0], name: "a")
        let b = try await Peer.connect(cluster.nodes[1], name: "b")
        try await a.join("t")
        try await b.join("t")
        try await a.expect("UserJoined b") { $0 == .userJoined(room: "t", user: Participant(userID: b.userID, username: "b")) }

        cluster.nodes[1].signal(SIGTERM)
        #expect(await cluster.nodes[1].exit(timeout: .seconds(30)) == 0)
        try await a.expect("UserLeft b") { $0 == .userLeft(room: "t", userID: b.userID) }
        #expect(try await !cluster.redis.exists("servers:\(cluster.ids[1]):connections"))
        #expect(try await !cluster.redis.exists("servers:\(cluster.ids[1]):heartbeat"))
        #expect(try await cluster.participants("t") == [a.userID: cluster.ids[0]])
        try await eventually("ServerStopping") { events.payloads.contains { $0.contains("ServerStopping") && $0.contains(cluster.ids[1]) } }
        #expect(!events.payloads.contains { $0.contains("ServerSwept") })
        await events.stop()
    }
}
