import ClusterState
import Foundation
import RedisClient
import Testing
import TestSupport

@Suite("Read models for operators", .timeLimit(.minutes(1)))
struct InspectorTests {
    @Test func anEmptyRedisGivesEmptyResults() async throws {
        try await withRedis { _, redis async throws in
            let registry = ClusterRegistry(redis: redis)
            #expect(try await registry.rooms().isEmpty)
            #expect(try await registry.rooms(matching: "x*").isEmpty)
            #expect(try await registry.room("room123") == nil)
            #expect(try await registry.servers().isEmpty)
            #expect(try await registry.server("signaling-1") == nil)
            #expect(try await registry.participants(inRoom: "room123").isEmpty)
        }
    }

    /// n1 alive with alice (a:b) and bob (room1); n2 dead with carol (a:b); dave in a:b on n1 without a record.
    func populate(_ registry: ClusterRegistry, _ redis: RedisConnection) async throws {
        try await registry.register(record(1, room: "a:b", name: "alice"), node: "n1")
        try await registry.register(record(2, room: "room1", name: "bob"), node: "n1")
        try await registry.register(record(3, room: "a:b", name: "carol"), node: "n2")
        try await redis.send("HSET", "rooms:a:b:participants", "4", "n1")
        try await registry.writeHeartbeat(node: "n1", ttl: .seconds(30), now: 1_704_110_400)
        try await registry.writeHeartbeat(node: "idle", ttl: .seconds(30), now: 1_704_110_400)
        try await redis.send("SET", "rooms:unrelated", "x")
    }

    @Test func roomsAreListedWithCountsAndNodes() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, redis)
            #expect(try await registry.rooms() == [
                RoomSummary(roomID: "a:b", participantCount: 3, nodes: ["n1", "n2"]),
                RoomSummary(roomID: "room1", participantCount: 1, nodes: ["n1"]),
            ])
            #expect(try await registry.rooms(matching: "room*").map(\.roomID) == ["room1"])
            #expect(try await registry.rooms(matching: ClusterKeys.escapeGlob("a:b")).map(\.roomID) == ["a:b"])
            #expect(try await registry.rooms(matching: "zzz*").isEmpty)
        }
    }

    @Test func roomDetailFlagsOrphans() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, redis)
            let detail = try #require(try await registry.room("a:b"))
            #expect(detail.roomID == "a:b")
            #expect(detail.participants.map(\.userID) == [1, 3, 4])
            #expect(detail.participants.map(\.username) == ["alice", "carol", nil])
            #expect(detail.participants.map(\.node) == ["n1", "n2", "n1"])
            #expect(detail.participants.map(\.nodeAlive) == [true, false, true])
            #expect(detail.participants.map(\.orphanReason) == [nil, .nodeDead, .missingRecord])
            #expect(detail.participants[0].connectedAt == "2024-01-01T10:00:00Z")
            #expect(detail.orphanCount == 2)

            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = String(decoding: try encoder.encode(detail), as: UTF8.self)
            #expect(json.contains(#""room_id":"a:b""#))
            #expect(json.contains(#""node_alive":false"#))
            #expect(json.contains(#""orphan_reason":"node_dead""#))
            #expect(json.contains(#""connected_at":"2024-01-01T10:00:00Z""#))
        }
    }

    @Test func serversAreListedWithHeartbeatAndConnections() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, redis)
            let servers = try await registry.servers()
            #expect(servers.map(\.nodeID) == ["idle", "n1", "n2"])
            #expect(servers.map(\.status) == [.alive, .alive, .dead])
            #expect(servers.map(\.alive) == [true, true, false])
            #expect(servers.map(\.connectionCount) == [0, 2, 1])
            #expect(servers.map(\.rooms) == [[], ["a:b", "room1"], ["a:b"]])
            #expect(servers[1].heartbeat == 1_704_110_400)
            #expect((1...30).contains(servers[1].heartbeatTTL ?? 0))
            #expect(servers[2].heartbeat == nil && servers[2].heartbeatTTL == nil)

            // The heartbeat's TTL counts down while the two reads run: read both again until they fall within one
            // second of it, so that they can be compared whole. Without a short limit: a stall of the machine between
            // two reads only costs another pair of reads.
            var detail = try #require(try await registry.server("n1"))
            var listed = servers[1]
            try? await eventually("the list and the detail read within one second") {
                if detail.server == listed { return true }
                listed = try await registry.servers()[1]
                detail = try #require(try await registry.server("n1"))
                return detail.server == listed
            }
            #expect(detail.server == listed)
            #expect(detail.connections.map(\.username) == ["alice", "bob"])
            #expect(detail.unreadableRecords.isEmpty)
            try await redis.send("HSET", "servers:n2:connections", "9", "{oops")
            let dead = try #require(try await registry.server("n2"))
            #expect(dead.unreadableRecords == [UnreadableRecord(field: "9", value: "{oops")])
            #expect(dead.server.status == .dead)

            let json = String(decoding: try JSONEncoder().encode(servers[2]), as: UTF8.self)
            #expect(json.contains(#""node_id":"n2""#) && json.contains(#""connection_count":1"#) && json.contains(#""status":"dead""#))
        }
    }
}
