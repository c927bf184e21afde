import ClusterState
import RedisClient
import Testing
import TestSupport

@Suite("Registry operations against a real redis-server", .timeLimit(.minutes(1)))
struct RegistryTests {
    @Test func registerWritesBothKeysWithTheDocumentedBytes() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            let alice = record(1001, room: "room123", name: "alice")
            #expect(try await registry.register(alice, node: "signaling-1") == nil)
            #expect(try await redis.send("HGET", "rooms:room123:participants", "1001").string == "signaling-1")
            let stored = try await redis.send("HGET", "servers:signaling-1:connections", "1001").string
            #expect(stored == alice.jsonText)
            #expect(try ConnectionRecord(json: stored ?? "") == alice)
            // Again, from another node (a reconnect elsewhere): the previous holder is reported.
            #expect(try await registry.register(alice, node: "signaling-2") == "signaling-1")
            #expect(try await redis.send("HGET", "rooms:room123:participants", "1001").string == "signaling-2")
        }
    }

    @Test func unregisterRemovesBothAndEmptiedHashesDisappear() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await registry.register(record(1, room: "r"), node: "n1")
            try await registry.register(record(2, room: "r"), node: "n1")
            #expect(try await registry.unregister(userID: 1, room: "r", node: "n1") == Unregistration(removedFromRoom: true, removedRecord: true))
            #expect(try await redis.send("HEXISTS", "rooms:r:participants", "1").int == 0)
            #expect(try await redis.send("HEXISTS", "servers:n1:connections", "1").int == 0)
            try await registry.unregister(userID: 2, room: "r", node: "n1")
            #expect(try await redis.send("EXISTS", "rooms:r:participants", "servers:n1:connections").int == 0)
            // Nothing left to remove: a no-op, not an error.
            #expect(try await registry.unregister(userID: 2, room: "r", node: "n1") == Unregistration(removedFromRoom: false, removedRecord: false))
        }
    }

    @Test func unregisterLeavesAnEntryThatNamesAnotherNode() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await registry.register(record(7, room: "r"), node: "old")
            try await registry.register(record(7, room: "r"), node: "new")
            let result = try await registry.unregister(userID: 7, room: "r", node: "old")
            #expect(result == Unregistration(removedFromRoom: false, removedRecord: true))
            #expect(try await redis.send("HGET", "rooms:r:participants", "7").string == "new")
            #expect(try await redis.send("HEXISTS", "servers:new:connections", "7").int == 1)
        }
    }

    @Test func unregisterWithAConnectionIDSparesANewerConnection() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            var newer = record(8, room: "r")
            newer.connectionID = "new-connection"
            try await registry.register(newer, node: "n")
            // The old connection of the same user, on the same node, leaves late.
            #expect(try await registry.unregister(userID: 8, room: "r", node: "n", connectionID: "old-connection")
                    == Unregistration(removedFromRoom: false, removedRecord: false))
            #expect(try await redis.send("HGET", "servers:n:connections", "8").string == newer.jsonText)
            #expect(try await redis.send("HGET", "rooms:r:participants", "8").string == "n")
            // The old connection was in another room: its stale entry there goes, the newer record stays.
            try await redis.send("HSET", "rooms:elsewhere:participants", "8", "n")
            #expect(try await registry.unregister(userID: 8, room: "elsewhere", node: "n", connectionID: "old-connection")
                    == Unregistration(removedFromRoom: true, removedRecord: false))
            #expect(try await redis.send("HEXISTS", "servers:n:connections", "8").int == 1)
            // The right connection id removes it.
            #expect(try await registry.unregister(userID: 8, room: "r", node: "n", connectionID: "new-connection")
                    == Unregistration(removedFromRoom: true, removedRecord: true))
        }
    }

    @Test func registerChangesNothingWhenAKeyHasTheWrongType() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await redis.send("SET", "servers:n:connections", "not a hash")
            await #expect(throws: RedisError.self) { try await registry.register(record(1, room: "r"), node: "n") }
            #expect(try await redis.send("EXISTS", "rooms:r:participants").int == 0)
            try await redis.send("SET", "rooms:r2:participants", "not a hash")
            await #expect(throws: RedisError.self) { try await registry.register(record(1, room: "r2"), node: "m") }
            #expect(try await redis.send("EXISTS", "servers:m:connections").int == 0)
        }
    }

    @Test func concurrentRegistrationsKeepBothHashesInStep() async throws {
        try await withRedis { server, redis in
            let other = try await server.connect()
            defer { other.close() }
            let registries = [ClusterRegistry(redis: redis), ClusterRegistry(redis: other)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let registry = registries[worker % 2]
                        for i in 0..<200 {
                            let user = UInt64(i % 50 + 1)
                            let node = "n\((i + worker) % 3)"
                            let room = "room\(user % 5)"
                            if (i + worker) % 3 == 0 {
                                try await registry.unregister(userID: user, room: room, node: node)
                            } else {
                                try await registry.register(record(user, room: room), node: node)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Every participants entry has its record on the node it names.
            for room in 0..<5 {
                let flat = try await redis.send("HGETALL", "rooms:room\(room):participants").stringArray ?? []
                var i = 0
                while i + 1 < flat.count {
                    let raw = try await redis.send("HGET", "servers:\(flat[i + 1] ?? ""):connections", flat[i] ?? "").string
                    #expect(raw != nil, "user \(flat[i] ?? "") in room\(room) has no record")
                    i += 2
                }
            }
        }
    }

    @Test func announcementsGoOutWithTheChangeAndOnlyOnce() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await listening(on: [ClusterChannels.messages], to: server) { heard in
                try await registry.register(record(1001, room: "room123", name: "alice"), node: "signaling-1", announce: true)
                try await registry.unregister(userID: 1001, room: "room123", node: "signaling-1", announce: true)
                try await registry.unregister(userID: 1001, room: "room123", node: "signaling-1", announce: true)
                try await heard.drain([ClusterChannels.messages])
                #expect(heard.on(ClusterChannels.messages).map { String(decoding: $0.payload, as: UTF8.self) } == [
                    #"{"UserJoined":{"room_id":"room123","user_id":1001,"username":"alice","target_server":null,"source_server":"signaling-1"}}"#,
                    #"{"UserLeft":{"room_id":"room123","user_id":1001,"target_server":null,"source_server":"signaling-1"}}"#,
                    sentinel,
                ])
            }
        }
    }

    @Test func announceJoinedSpeaksOnlyForRecordsStillRegisteredByTheSameConnectionInTheSameRoom() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            let stays = record(1001, room: "room123", name: "alice")
            let left = record(1002, room: "room123", name: "bob")
            let moved = record(1003, room: "room123", name: "carol")
            var reconnected = record(1004, room: "room123", name: "dave")
            try await registry.registerAll([stays, left, moved, reconnected], node: "signaling-1")
            // bob left; carol moved to another room on the same connection; dave's user joined again on a new
            // connection; erin was never registered.
            try await registry.unregister(userID: 1002, room: "room123", node: "signaling-1", connectionID: left.connectionID)
            try await registry.register(record(1003, room: "lobby", name: "carol"), node: "signaling-1")
            let oldConnection = reconnected
            reconnected.connectionID = "00000000-0000-4000-8000-000000009999"
            try await registry.register(reconnected, node: "signaling-1")
            let never = record(1005, room: "room123", name: "erin")
            // frank's room entry now names another node.
            let elsewhere = record(1006, room: "room123", name: "frank")
            try await registry.register(elsewhere, node: "signaling-1")
            try await redis.send("HSET", "rooms:room123:participants", 1006, "signaling-2")
            try await listening(on: [ClusterChannels.messages], to: server) { heard in
                let published = try await registry.announceJoined([stays, left, moved, oldConnection, never, elsewhere],
                                                                   node: "signaling-1")
                #expect(published == 1)
                try await heard.drain([ClusterChannels.messages])
                #expect(heard.on(ClusterChannels.messages).map { String(decoding: $0.payload, as: UTF8.self) } == [
                    #"{"UserJoined":{"room_id":"room123","user_id":1001,"username":"alice","target_server":null,"source_server":"signaling-1"}}"#,
                    sentinel,
                ])
            }
            #expect(try await registry.announceJoined([], node: "signaling-1") == 0)
        }
    }

    @Test func locateReturnsTheNodeAndItsHeartbeat() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await registry.register(record(1, room: "a:b"), node: "n1")
            #expect(try await registry.locate(userID: 1, room: "a:b") == UserLocation(node: "n1", nodeAlive: false))
            try await registry.writeHeartbeat(node: "n1", ttl: .seconds(30), now: 1)
            #expect(try await registry.locate(userID: 1, room: "a:b") == UserLocation(node: "n1", nodeAlive: true))
            #expect(try await registry.locate(userID: 2, room: "a:b") == nil)
            #expect(try await registry.locate(userID: 1, room: "a") == nil)
        }
    }

    @Test func participantsWithUsernamesAndMissingRecords() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await registry.register(record(3, room: "r", name: "carol"), node: "live")
            try await registry.register(record(1, room: "r", name: "alice"), node: "live")
            try await registry.register(record(2, room: "r", name: "bob"), node: "dead")
            try await registry.register(record(4, room: "r", name: "dave"), node: "live")
            try await registry.writeHeartbeat(node: "live", ttl: .seconds(30), now: 1)
            try await redis.send("HDEL", "servers:live:connections", "3")                       // record lost
            try await redis.send("HSET", "servers:live:connections", "4", "{broken")            // record unreadable
            let participants = try await registry.participants(inRoom: "r")
            #expect(participants.map(\.userID) == [1, 2, 3, 4])
            #expect(participants.map(\.username) == ["alice", "bob", nil, nil])
            #expect(participants.map(\.recordStatus) == [.present, .present, .missing, .unreadable])
            #expect(participants.map(\.nodeLiveness) == [.alive, .dead, .alive, .alive])
            #expect(participants.map(\.orphanReason) == [nil, .nodeDead, .missingRecord, .unreadableRecord])
            #expect(try await registry.participants(inRoom: "nobody-here").isEmpty)
        }
    }

    /// `join` registers and reads the room in one script: the same keys and announcement as `register`, and the
    /// same participants (records, statuses, liveness, order) as `participants(inRoom:)` reads afterwards.
    @Test func joinRegistersAndReadsTheRoomAsParticipantsDoes() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await registry.register(record(3, room: "r:x", name: "carol"), node: "live")
            try await registry.register(record(1, room: "r:x", name: "alice"), node: "live")
            try await registry.register(record(20, room: "r:x", name: "bob"), node: "dead")
            try await registry.writeHeartbeat(node: "live", ttl: .seconds(30), now: 1)
            try await redis.send("HDEL", "servers:live:connections", "3")                       // record lost
            try await redis.send("HSET", "rooms:r:x:participants", "not-a-user", "live")        // a stray field
            try await listening(on: [ClusterChannels.messages], to: server) { heard in
                let dave = record(4, room: "r:x", name: "dave")
                let joined = try await registry.join(dave, node: "live", announce: true)
                #expect(joined.previousNode == nil)
                #expect(joined.participants.map(\.userID) == [1, 3, 4, 20])
                #expect(joined.participants.map(\.username) == ["alice", nil, "dave", "bob"])
                #expect(joined.participants.map(\.recordStatus) == [.present, .missing, .present, .present])
                #expect(joined.participants.map(\.nodeLiveness) == [.alive, .alive, .alive, .dead])
                #expect(joined.participants == (try await registry.participants(inRoom: "r:x")))
                #expect(try await redis.send("HGET", "servers:live:connections", "4").string == dave.jsonText)
                // Joining again from another node reports the previous holder.
                #expect(try await registry.join(dave, node: "other").previousNode == "live")
                try await heard.drain([ClusterChannels.messages])
                #expect(heard.on(ClusterChannels.messages).map { String(decoding: $0.payload, as: UTF8.self) } == [
                    #"{"UserJoined":{"room_id":"r:x","user_id":4,"username":"dave","target_server":null,"source_server":"live"}}"#,
                    sentinel,
                ])
            }
            // The first joiner of a room sees itself only; the script also runs after a SCRIPT FLUSH (EVAL fallback).
            try await redis.send("SCRIPT", "FLUSH")
            let alone = try await registry.join(record(9, room: "empty", name: "erin"), node: "live")
            #expect(alone.participants.map(\.userID) == [9] && alone.participants.first?.recordStatus == .present)
        }
    }

    @Test func registerAllPipelinesAndSurvivesAScriptFlush() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await redis.send("SCRIPT", "FLUSH")
            let records = (1...1000).map { record(UInt64($0), room: "room\($0 % 10)") }
            let previous = try await registry.registerAll(records, node: "n")
            #expect(previous.count == 1000 && previous.allSatisfy { $0 == nil })
            #expect(try await redis.send("HLEN", "servers:n:connections").int == 1000)
            #expect(try await redis.send("HLEN", "rooms:room3:participants").int == 100)
            try await redis.send("SCRIPT", "FLUSH")
            // The single-call path falls back to EVAL too.
            #expect(try await registry.register(record(1, room: "room1"), node: "m") == "n")
        }
    }

    @Test func registerUnlessTakenLeavesAnotherNodesEntryAlone() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            let first = try await registry.registerUnlessTaken(record(1, room: "r"), node: "n1")
            let again = try await registry.registerUnlessTaken(record(1, room: "r"), node: "n1")  // its own entry
            let other = try await registry.registerUnlessTaken(record(1, room: "r"), node: "n2")
            #expect(first == nil && again == nil)
            #expect(other == "n1")
            #expect(try await redis.send("HGET", "rooms:r:participants", 1).string == "n1")
            #expect(try await redis.send("EXISTS", "servers:n2:connections").int == 0)
            #expect(try await redis.send("HGET", "servers:n1:connections", 1).string == String(decoding: record(1, room: "r").jsonBytes, as: UTF8.self))
        }
    }

    @Test func registerEachReportsARefusedRecordAndRegistersTheOthers() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await redis.send("SET", "rooms:bad:participants", "not a hash")
            let failures = try await registry.registerEach(
                [record(1, room: "good"), record(2, room: "bad"), record(3, room: "good")], node: "n")
            #expect(failures.map { $0 == nil } == [true, false, true])
            #expect(failures[1].map { "\($0)" }?.contains("WRONGTYPE") == true)
            #expect(try await redis.send("HLEN", "rooms:good:participants").int == 2)
            #expect(try await redis.send("GET", "rooms:bad:participants").string == "not a hash")
        }
    }

    @Test func heartbeatWriteReportsWhatWasThere() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            #expect(try await registry.writeHeartbeat(node: "n", ttl: .seconds(30), now: 100) == HeartbeatWrite(previous: nil, connectionsHashExists: false))
            try await registry.register(record(1, room: "r"), node: "n")
            let clock = ContinuousClock()
            let beforeWrite = clock.now
            #expect(try await registry.writeHeartbeat(node: "n", ttl: .milliseconds(30_500), now: 110) == HeartbeatWrite(previous: 100, connectionsHashExists: true))
            #expect(try await redis.send("GET", "servers:n:heartbeat").string == "110")
            let pttl = try await redis.send("PTTL", "servers:n:heartbeat").int ?? -1
            // The TTL was set after `beforeWrite`, so at most that much of it has run down, however slow the machine.
            let elapsed = clock.now - beforeWrite
            let elapsedMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            #expect(pttl <= 30_500 && pttl >= 30_500 - elapsedMs - 1, "PTTL \(pttl) after \(elapsed)")
            try await registry.removeHeartbeat(node: "n")
            #expect(try await redis.send("EXISTS", "servers:n:heartbeat").int == 0)
        }
    }

    @Test func publishedPayloadsRoundTripThroughRedis() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            #expect(try await registry.publish(.userLeft(.init(roomID: "r", userID: 1, sourceServer: "n")), toNode: "nobody") == 0)
            let channels = [ClusterChannels.messages, ClusterChannels.events, ClusterChannels.node("n2")]
            try await listening(on: channels, to: server) { heard in
                let signal = ClusterMessage.webRTCSignal(.init(roomID: "r", fromUser: 1, toUser: 2,
                                                               iceCandidate: IceSignalData(candidate: "c", sdpMid: nil, sdpMLineIndex: 0), sourceServer: "n1"))
                let replaced = ClusterMessage.userReplaced(.init(userID: 1, connectionID: "c2", sourceServer: "n1"))
                let started = ClusterEvent.serverStarted(nodeID: "n1", at: 1_704_110_400)
                #expect(try await registry.publish(signal, toNode: "n2") == 1)
                #expect(try await registry.publish(replaced) == 1)
                #expect(try await registry.publish(started) == 1)
                try await heard.drain(channels)
                #expect(heard.on(ClusterChannels.node("n2")).first.map { try? ClusterMessage(json: $0.payload) } == signal)
                #expect(heard.clusterMessages() == [replaced])
                #expect(heard.clusterEvents() == [started])
            }
        }
    }
}
