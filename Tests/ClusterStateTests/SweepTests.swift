import ClusterState
import RedisClient
import Testing
import TestSupport

@Suite("Sweeping dead nodes", .timeLimit(.minutes(1)))
struct SweepTests {
    /// Registers users 1...count on `node`, in rooms of 4 (`room0`, `room1`, …).
    func populate(_ registry: ClusterRegistry, node: String, users: ClosedRange<UInt64>) async throws {
        let records = users.map { record($0, room: "room\(($0 - 1) / 4)") }
        var start = 0
        while start < records.count {
            try await registry.registerAll(Array(records[start..<min(start + 1000, records.count)]), node: node)
            start += 1000
        }
    }

    @Test func sweepRemovesADeadNodesUsersAndAnnouncesEachOnce() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "dead", users: 1...10)
            try await populate(registry, node: "live", users: 11...12)
            try await registry.writeHeartbeat(node: "live", ttl: .seconds(30), now: 1)
            let channels = [ClusterChannels.messages, ClusterChannels.events]
            try await listening(on: channels, to: server) { heard in
                let report = try await registry.sweep(by: "sigctl", batchSize: 3)
                #expect(report.sweeper == "sigctl" && !report.dryRun)
                #expect(report.nodes.map(\.nodeID) == ["dead", "live"])
                #expect(report.nodes.map(\.outcome) == [.swept, .alive])
                #expect(report.usersRemoved == 10)
                #expect(Set(report.nodes[0].removed.map(\.userID)) == Set(1...10))
                try await heard.drain(channels)
                let left = heard.clusterMessages()
                #expect(left.count == 10)
                #expect(left.contains(.userLeft(.init(roomID: "room0", userID: 1, targetServer: nil, sourceServer: "dead"))))
                guard case .serverSwept(let node, let removed, let by, _)? = heard.clusterEvents().first else {
                    Issue.record("no ServerSwept"); return
                }
                #expect(heard.clusterEvents().count == 1)
                #expect(node == "dead" && removed == 10 && by == "sigctl")
            }
            #expect(try await redis.send("EXISTS", "servers:dead:connections", "servers:dead:sweeping").int == 0)
            #expect(try await redis.send("HGET", "rooms:room2:participants", "11").string == "live")
            #expect(try await redis.send("HLEN", "rooms:room2:participants").int == 2)   // users 9, 10 gone; 11, 12 stay
            #expect(try await redis.send("EXISTS", "rooms:room0:participants").int == 0)
        }
    }

    @Test func aUserWhoMovedSurvivesTheSweepOfTheOldNode() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "old", users: 1...4)
            try await registry.register(record(2, room: "room0"), node: "new")     // user 2 reconnected elsewhere
            try await registry.writeHeartbeat(node: "new", ttl: .seconds(30), now: 1)
            try await listening(on: [ClusterChannels.messages], to: server) { heard in
                let report = try await registry.sweep(only: "old", by: "new")
                let old = try #require(report.nodes.first)
                #expect(old.outcome == .swept)
                #expect(old.removed.map(\.userID).sorted() == [1, 3, 4])
                #expect(old.skipped == [SkippedUser(userID: 2, roomID: "room0", currentNode: "new")])
                #expect(old.usersMoved == 1 && old.recordsRemoved == 4)
                try await heard.drain([ClusterChannels.messages])
                #expect(!heard.clusterMessages().contains { if case .userLeft(let m) = $0 { return m.userID == 2 } else { return false } })
                #expect(heard.clusterMessages().count == 3)
            }
            #expect(try await redis.send("HGETALL", "rooms:room0:participants").stringArray == ["2", "new"])
            #expect(try await registry.locate(userID: 2, room: "room0") == UserLocation(node: "new", nodeAlive: true))
        }
    }

    @Test func twoSweepersAtOnceAnnounceEachUserExactlyOnce() async throws {
        try await withRedis { server, redis in
            let second = try await server.connect()
            defer { second.close() }
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "dead", users: 1...2000)
            let channels = [ClusterChannels.messages, ClusterChannels.events]
            try await listening(on: channels, to: server) { heard in
                let sweepers = [registry, ClusterRegistry(redis: second)]
                let reports = try await withThrowingTaskGroup(of: SweepReport.self) { group in
                    for (k, sweeper) in sweepers.enumerated() {
                        group.addTask { try await sweeper.sweep(by: k == 0 ? "signaling-1" : "sigctl", batchSize: 100) }
                    }
                    var reports: [SweepReport] = []
                    for try await report in group { reports.append(report) }
                    return reports
                }
                try await heard.drain(channels)

                var count: [UInt64: Int] = [:]
                for case .userLeft(let m) in heard.clusterMessages() { count[m.userID, default: 0] += 1 }
                #expect(count.count == 2000)
                #expect(count.values.allSatisfy { $0 == 1 })
                let swept = heard.clusterEvents()
                #expect(swept.count == 1)
                if case .serverSwept(_, let removed, _, _)? = swept.first { #expect(removed == 2000) }
                // One claimed and swept; the other found the claim, or found nothing left.
                let outcomes = reports.map { $0.nodes.first?.outcome }
                #expect(outcomes.filter { $0 == .swept }.count == 1)
                #expect(outcomes.allSatisfy { $0 == .swept || $0 == .claimedByOther || $0 == .gone || $0 == nil })
                #expect(reports.map(\.usersRemoved).reduce(0, +) == 2000)
            }
            #expect(try await redis.send("DBSIZE").int == 0)
        }
    }

    @Test func aTenThousandUserDeadNodeIsSweptCompletely() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "big", users: 1...10_000)
            #expect(try await redis.send("DBSIZE").int == 2501)
            try await listening(on: [ClusterChannels.events], to: server) { heard in
                let report = try await registry.sweep(by: "sigctl")
                #expect(report.nodes.first?.outcome == .swept)
                #expect(report.usersRemoved == 10_000)
                #expect(Set(report.nodes.first?.removed.map(\.userID) ?? []).count == 10_000)
                try await heard.drain([ClusterChannels.events])
                #expect(heard.clusterEvents().map(\.typeName) == ["ServerSwept"])
            }
            #expect(try await redis.send("DBSIZE").int == 0)
        }
    }

    @Test func dryRunChangesNothingAndPublishesNothing() async throws {
        try await withRedis { server, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "dead", users: 1...40)
            try await registry.register(record(5, room: "room1"), node: "live")
            try await registry.writeHeartbeat(node: "live", ttl: .seconds(300), now: 1)
            try await redis.send("HSET", "servers:dead:connections", "999", "not json")
            let before = try await snapshot(redis)
            let channels = [ClusterChannels.messages, ClusterChannels.events]
            try await listening(on: channels, to: server) { heard in
                let report = try await registry.sweep(dryRun: true, by: "sigctl", batchSize: 7)
                #expect(report.dryRun)
                let dead = try #require(report.nodes.first { $0.nodeID == "dead" })
                #expect(dead.outcome == .wouldSweep)
                #expect(dead.usersRemoved == 39)
                #expect(dead.skipped == [SkippedUser(userID: 5, roomID: "room1", currentNode: "live")])
                #expect(dead.unreadableRecords == 1)
                #expect(dead.recordsRemoved == 41)
                try await heard.drain(channels)
                #expect(heard.all.count == 2)   // the sentinels only
            }
            #expect(try await snapshot(redis) == before)
            // The real sweep then does what the dry run said.
            let real = try await registry.sweep(by: "sigctl")
            let dead = try #require(real.nodes.first { $0.nodeID == "dead" })
            #expect(dead.usersRemoved == 39 && dead.unreadableRecords == 1 && dead.recordsRemoved == 41)
        }
    }

    @Test func aLiveOrGoneNodeIsLeftAlone() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "n", users: 1...3)
            try await registry.writeHeartbeat(node: "n", ttl: .seconds(30), now: 1)
            let before = try await snapshot(redis)
            #expect(try await registry.sweep(only: "n", by: "sigctl").nodes == [NodeSweep(nodeID: "n", outcome: .alive)])
            #expect(try await registry.sweep(only: "nobody", by: "sigctl").nodes == [NodeSweep(nodeID: "nobody", outcome: .gone)])
            #expect(try await snapshot(redis) == before)
        }
    }

    @Test func aClaimHeldByAnotherSweeperIsRespectedUntilItExpires() async throws {
        try await withRedis { _, redis in
            let registry = ClusterRegistry(redis: redis)
            try await populate(registry, node: "dead", users: 1...8)
            // A sweeper that claimed the node and then died. The claim gets its expiry only after the checks below,
            // so that a slow machine cannot let it lapse before the first sweep looks at it.
            try await redis.send("SET", "servers:dead:sweeping", "token-1 signaling-9")
            let blocked = try await registry.sweep(by: "sigctl")
            #expect(blocked.nodes == [NodeSweep(nodeID: "dead", outcome: .claimedByOther, claimedBy: "signaling-9")])
            #expect(try await redis.send("HLEN", "servers:dead:connections").int == 8)
            let servers = try await registry.servers()
            #expect(servers.first?.sweepingBy == "signaling-9")
            try await redis.send("PEXPIRE", "servers:dead:sweeping", 100)
            try await eventually("the claim to expire") { try await redis.send("EXISTS", "servers:dead:sweeping").int == 0 }
            let report = try await registry.sweep(by: "sigctl")
            #expect(report.nodes.first?.outcome == .swept && report.usersRemoved == 8)
        }
    }

    @Test func emptyRedisHasNothingToSweep() async throws {
        try await withRedis { _, redis in
            let report = try await ClusterRegistry(redis: redis).sweep(by: "sigctl")
            #expect(report.nodes.isEmpty && report.usersRemoved == 0)
            #expect(try await ClusterRegistry(redis: redis).sweep(dryRun: true, by: "sigctl").nodes.isEmpty)
        }
    }
}
