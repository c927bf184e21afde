import Testing
import RedisClient
import TestSupport

@Suite("Reconnect and pub/sub against a real redis-server", .timeLimit(.minutes(2)))
struct ReconnectTests {
    @Test func psubscribeDeliversMatchingChannelsOnly() async throws {
        let redis = try await RedisServer.start()
        let subscriber = RedisSubscriber(configuration: try redis.configuration)
        let publisher = try await redis.connect()
        defer { publisher.close() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await subscriber.run() }
            try await subscriber.psubscribe(["cluster:*"])
            try await subscriber.subscribe(["plain"])
            var events = subscriber.events.makeAsyncIterator()
            #expect(await events.next() == .subscribed(reconnect: false))
            try await publisher.send("PUBLISH", "other:x", "no")
            try await publisher.send("PUBLISH", "cluster:node:a", [0, 1, 13, 10] as [UInt8])
            try await publisher.send("PUBLISH", "plain", "p")
            #expect(await events.next() == .message(PubSubMessage(channel: "cluster:node:a", pattern: "cluster:*", payload: [0, 1, 13, 10])))
            #expect(await events.next() == .message(PubSubMessage(channel: "plain", pattern: nil, payload: Array("p".utf8))))
            try await subscriber.unsubscribe(["plain"])
            try await publisher.send("PUBLISH", "plain", "gone")
            try await publisher.send("PUBLISH", "cluster:events", "e")
            #expect(await events.next() == .message(PubSubMessage(channel: "cluster:events", pattern: "cluster:*", payload: Array("e".utf8))))
            group.cancelAll()
        }
    }

    @Test func killedServerFailsInFlightCommandsAndClientRecovers() async throws {
        let redis = try await RedisServer.start()
        // Both limits are far longer than a busy machine can stall: the blocked command fails because the server died,
        // not because it ran out of time first (the test server's command timeout is 60 s), and the command after the
        // restart waits for the reconnect however long the machine takes to get there (a client that did not wait
        // would fail at once).
        let client = RedisClient(configuration: try redis.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200), commandWait: .seconds(60)))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await client.send("SET", "before", "1")
            #expect(client.state == .connected)

            // A command that blocks server-side is in flight when the server dies.
            async let blocked: Result<RESPValue, RedisError> = {
                do throws(RedisError) { return .success(try await client.send("BLPOP", "never", 0)) } catch { return .failure(error) }
            }()
            try await eventually("BLPOP to be blocked") {
                let info = try await redis.connect()
                defer { info.close() }
                return try await info.send("INFO", "clients").string?.contains("blocked_clients:1") == true
            }
            redis.kill()
            #expect(await blocked == .failure(.connectionLost))
            try await eventually("the client to notice") { !client.state.isConnected }

            try await redis.restart()
            // A new command waits for the reconnect instead of failing.
            #expect(try await client.send("GET", "before") == .null)  // restarted empty
            #expect(client.state == .connected)
            group.cancelAll()
        }
        #expect(client.state == .closed)
    }

    @Test func failFastPolicyFailsAtOnceWhileDisconnected() async throws {
        let redis = try await RedisServer.start()
        let client = RedisClient(configuration: try redis.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(100), commandWait: nil))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await eventually("connected") { client.state.isConnected }
            redis.kill()
            try await eventually("disconnected") { !client.state.isConnected }
            // Each attempt is timed on its own and the fastest one counts: a stall of the machine lengthens the one
            // attempt it falls into, not all of them, while a client that waits (for a reconnect, or for the
            // policy's default 2 s) is slow every time.
            let clock = ContinuousClock()
            var fastest = Duration.seconds(3600)
            for _ in 0..<5 {
                let started = clock.now
                await #expect(throws: RedisError.notConnected) { try await client.send("PING") }
                fastest = min(fastest, clock.now - started)
            }
            #expect(fastest < .seconds(1), "failed at once, not after a wait: the fastest of five attempts took \(fastest)")
            group.cancelAll()
        }
    }

    @Test func boundedWaitGivesUpWithNotConnected() async throws {
        let redis = try await RedisServer.start()
        let client = RedisClient(configuration: try redis.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(100), commandWait: .milliseconds(300)))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await eventually("connected") { client.state.isConnected }
            redis.kill()
            try await eventually("disconnected") { !client.state.isConnected }
            await #expect(throws: RedisError.notConnected) { try await client.send("PING") }
            group.cancelAll()
        }
    }

    @Test func subscriberResubscribesAfterRestartAndSaysSo() async throws {
        let redis = try await RedisServer.start()
        let subscriber = RedisSubscriber(configuration: try redis.configuration,
                                         policy: ReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200)))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await subscriber.run() }
            try await subscriber.subscribe(["cluster:messages"])
            try await subscriber.psubscribe(["cluster:node:*"])
            var events = subscriber.events.makeAsyncIterator()
            #expect(await events.next() == .subscribed(reconnect: false))

            redis.kill()
            #expect(await events.next() == .disconnected(.connectionLost))
            try await redis.restart()
            #expect(await events.next() == .subscribed(reconnect: true))

            let publisher = try await redis.connect()
            defer { publisher.close() }
            #expect(try await publisher.send("PUBLISH", "cluster:messages", "a") == .integer(1))
            #expect(try await publisher.send("PUBLISH", "cluster:node:n1", "b") == .integer(1))
            #expect(await events.next() == .message(PubSubMessage(channel: "cluster:messages", pattern: nil, payload: Array("a".utf8))))
            #expect(await events.next() == .message(PubSubMessage(channel: "cluster:node:n1", pattern: "cluster:node:*", payload: Array("b".utf8))))
            group.cancelAll()
        }
    }

    @Test func stateUpdatesAreObservable() async throws {
        let redis = try await RedisServer.start()
        let client = RedisClient(configuration: try redis.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100)))
        try await withThrowingDiscardingTaskGroup { group in
            let updates = client.stateUpdates()
            group.addTask { await client.run() }
            var it = updates.makeAsyncIterator()
            var seen: [RedisConnectionState] = []
            while let s = await it.next() {
                seen.append(s)
                if s == .connected { break }
            }
            #expect(seen.last == .connected)
            redis.kill()
            var sawReconnecting = false
            while let s = await it.next() {
                if case .reconnecting = s { sawReconnecting = true; break }
            }
            #expect(sawReconnecting)
            group.cancelAll()
        }
    }

    /// A client that stops while someone still holds its state stream (not iterating, not cancelled) finishes that
    /// stream, whose termination handler then runs: the client must not hold its own lock at that moment.
    @Test func stoppingWithAnOpenStateStreamFinishesIt() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let client = RedisClient(configuration: try redis.configuration,
                                 policy: ReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100)))
        let updates = client.stateUpdates()
        let running = Task { await client.run() }
        var it = updates.makeAsyncIterator()
        while let s = await it.next(), s != .connected {}
        running.cancel()
        await running.value
        var rest: [RedisConnectionState] = []
        while let s = await it.next() { rest.append(s) }  // ends: the stream was finished
        #expect(!rest.contains(.connected))
        #expect(client.state == .closed)
    }
}
