import Foundation
import ClusterState
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@Suite("Heartbeat service", .timeLimit(.minutes(1)))
struct HeartbeatServiceTests {
    @Test func beatsWithTTLAndStopsOnGracefulShutdown() async throws {
        try await withRedis { _, redis in
            let heartbeat = HeartbeatService(nodeID: "n1", redis: redis, interval: .milliseconds(50), ttl: .seconds(30), logger: quietLogger)
            let group = ServiceGroup(services: [heartbeat], logger: quietLogger)
            // Every beat is written after `started`, so the checks below are bounded by the time that really passed
            // rather than by a guess at how slow the machine is.
            let started = Date.now
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("three beats") { heartbeat.status.successfulBeats >= 3 }
                let value = try await redis.send("GET", "servers:n1:heartbeat").int ?? 0
                #expect(value >= Int64(started.timeIntervalSince1970.rounded(.down)))
                #expect(value <= Int64(Date.now.timeIntervalSince1970.rounded(.up)))
                let pttl = try await redis.send("PTTL", "servers:n1:heartbeat").int ?? -1
                let elapsedMilliseconds = Int64((Date.now.timeIntervalSince(started) * 1000).rounded(.up))
                #expect(pttl >= 30_000 - elapsedMilliseconds && pttl <= 30_000)
                #expect(pttl > 0)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()            // run() returned
            }
            let after = heartbeat.status.successfulBeats
            // A stopped service answers nothing, so no sentinel can show that no beat is still to come: the absence
            // of a beat can only be given time to show. 200 ms is four beat intervals.
            try await Task.sleep(for: .milliseconds(200))
            #expect(heartbeat.status.successfulBeats == after)
        }
    }

    @Test func beatNowDoesNotWaitForTheInterval() async throws {
        try await withRedis { _, redis in
            let beats = Mutex<[HeartbeatService.Beat]>([])
            let heartbeat = HeartbeatService(nodeID: "n1", redis: redis, interval: .seconds(3600), ttl: .seconds(30), logger: quietLogger,
                                             onBeat: { beat in beats.withLock { $0.append(beat) } })
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await heartbeat.run() }
                try await eventually("the first beat") { heartbeat.status.successfulBeats == 1 }
                // The key vanishes (expired, or swept): the next beat says so.
                try await redis.send("DEL", "servers:n1:heartbeat")
                heartbeat.beatNow()
                try await eventually("a beat on demand") { heartbeat.status.successfulBeats == 2 }
                heartbeat.beatNow()
                try await eventually("another one") { heartbeat.status.successfulBeats == 3 }
                tasks.cancelAll()                       // cancellation stops it too
            }
            let seen = beats.withLock { $0 }
            #expect(seen.count == 3)
            #expect(seen[0] == .written(HeartbeatWrite(previous: nil, connectionsHashExists: false)))
            #expect(seen[1] == .written(HeartbeatWrite(previous: nil, connectionsHashExists: false)))
            if case .written(let write) = seen[2] { #expect(write.previous != nil) } else { Issue.record("third beat failed") }
        }
    }

    /// Redis stops answering (SIGSTOP: connections stay open, nothing comes back) and then answers again. The port
    /// is never given up, so no other test's Redis can take it meanwhile.
    @Test func keepsBeatingThroughARedisOutage() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        // The connection outlives the outage however long a busy machine makes it (the test server's command timeout
        // is 60 s), so every failed beat fails by its own 100 ms deadline.
        let client = RedisClient(configuration: try server.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200), commandWait: .milliseconds(100)),
                                 logger: quietLogger)
        let heartbeat = HeartbeatService(nodeID: "n1", redis: client, interval: .milliseconds(50), ttl: .seconds(30),
                                         beatTimeout: .milliseconds(100), logger: quietLogger)
        let probe = try await server.connect()
        defer { probe.close() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await client.run() }
            tasks.addTask { try await heartbeat.run() }
            try await eventually("the first beat") { heartbeat.status.successfulBeats >= 1 }
            server.pause()
            try await eventually("failed beats") { heartbeat.status.consecutiveFailures >= 3 }
            #expect(heartbeat.status.lastError == .timeout)
            server.resume()
            try await probe.send("DEL", "servers:n1:heartbeat")
            try await eventually("the heartbeat written again") { try await probe.send("EXISTS", "servers:n1:heartbeat").int == 1 }
            try await eventually("the failure count to reset") { heartbeat.status.consecutiveFailures == 0 }
            tasks.cancelAll()
        }
    }

    @Test func aDirectBeatReportsFailureWithoutThrowing() async throws {
        let server = try await RedisServer.start()
        let redis = try await server.connect()
        // A generous deadline: the first beat may meet a machine busy starting many tests at once; the second fails
        // because the server is gone, not because of the deadline.
        let heartbeat = HeartbeatService(nodeID: "n1", redis: redis, beatTimeout: .seconds(10), logger: quietLogger)
        let first = await heartbeat.beat()
        guard case .written = first else { Issue.record("beat failed: \(first)"); return }
        server.kill()
        let second = await heartbeat.beat()
        guard case .failed = second else { Issue.record("beat did not fail: \(second)"); return }
        #expect(heartbeat.status.consecutiveFailures == 1)
        redis.close()
    }
}

@Suite("Deadlines on Redis calls", .timeLimit(.minutes(1)))
struct DeadlineTests {
    /// An executor whose commands never complete (a stuck connection).
    struct Stuck: RedisCommandExecutor {
        func sendRaw(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return .null
        }
        func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return []
        }
    }

    @Test func aStuckBeatFailsAfterItsTimeoutAndTheLoopGoesOn() async throws {
        let heartbeat = HeartbeatService(nodeID: "n", redis: Stuck(), interval: .milliseconds(20), beatTimeout: .milliseconds(50), logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await heartbeat.run() }
            try await eventually("three timed-out beats") { heartbeat.status.consecutiveFailures >= 3 }
            #expect(heartbeat.status.lastError == .timeout)
            tasks.cancelAll()
        }
    }
}
