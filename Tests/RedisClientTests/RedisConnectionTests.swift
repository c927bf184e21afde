import Foundation
import Testing
import RedisClient
import TestSupport

@Suite("Redis connection against a real redis-server", .timeLimit(.minutes(2)))
struct RedisConnectionTests {
    @Test func typedReplies() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        #expect(try await c.send("SET", "k", "v") == .simpleString("OK"))
        #expect(try await c.send("GET", "k") == .bulkString(Array("v".utf8)))
        #expect(try await c.send("GET", "missing") == .null)
        #expect(try await c.send("INCRBY", "n", 5) == .integer(5))
        #expect(try await c.sendRaw(RedisCommand("NOSUCHCOMMAND")).errorMessage?.hasPrefix("ERR") == true)
        await #expect(throws: RedisError.self) { try await c.send("NOSUCHCOMMAND") }
        // Nested arrays with nulls inside, straight from Lua.
        let nested = try await c.send("EVAL", "return {1, {'a', {false, 'b'}}, 'c'}", 0)
        #expect(nested == .array([.integer(1), .array([.bulkString([97]), .array([.null, .bulkString([98])])]), .bulkString([99])]))
        // The connection stays usable after an error reply.
        #expect(try await c.send("PING") == .simpleString("PONG"))
    }

    @Test func binaryValuesRoundTrip() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        let value: [UInt8] = [0, 13, 10, 0, 255, 254] + Array("\r\n$3\r\n*1".utf8) + [0]
        let key: [UInt8] = [107, 0, 13, 10]
        try await c.send("SET", key, value)
        #expect(try await c.send("GET", key).bytes == value)
        #expect(try await c.send("STRLEN", key) == .integer(Int64(value.count)))
    }

    @Test func oneMebibyteBulkString() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        var rng = SplitMix(seed: 7)
        let big = (0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try await c.send("SET", "big", big)
        let back = try await c.send("GET", "big").bytes
        #expect(back?.count == big.count)
        #expect(back == big)
    }

    @Test func tenThousandPipelinedCommandsKeepTheirOrder() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        // One batch in one write...
        let batch = (0..<10_000).map { RedisCommand("ECHO", "m\($0)") }
        let replies = try await c.pipeline(batch)
        #expect(replies.count == 10_000)
        #expect(replies.enumerated().allSatisfy { $0.element.string == "m\($0.offset)" })
        // ...and 10,000 independent commands in flight at once from many tasks.
        let results = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
            for i in 0..<10_000 {
                group.addTask { (i, try await c.send("INCR", "counter").int) }
            }
            var all: [(Int, Int64?)] = []
            for try await r in group { all.append(r) }
            return all
        }
        let values = results.compactMap(\.1).sorted()
        #expect(values == Array(1...10_000).map(Int64.init))
    }

    @Test func scriptsFallBackToEvalAfterScriptFlush() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await c.run(script, keys: ["s"], arguments: [2]) == .integer(2))
        // Our locally computed SHA is the one Redis uses.
        #expect(try await c.send("SCRIPT", "EXISTS", script.sha1).array == [.integer(1)])
        try await c.send("SCRIPT", "FLUSH")
        #expect(try await c.run(script, keys: ["s"], arguments: [3]) == .integer(5))
    }

    @Test func scanAndHscanVisitEveryKeyOnce() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        defer { c.close() }
        _ = try await c.pipelineChecked((0..<2_500).map { RedisCommand("SET", "scan:\($0)", "x") } + [RedisCommand("SET", "other", "y")])
        let keys = try await c.scan(match: "scan:*", count: 100).collect().map(\.name)
        #expect(Set(keys).count == 2_500)
        #expect(!keys.contains("other"))
        _ = try await c.pipelineChecked((0..<1_200).map { RedisCommand("HSET", "h", "f\($0)", "v\($0)") })
        let fields = try await c.hscan("h", count: 100).collect()
        #expect(fields.count == 1_200)
        #expect(fields.contains(.field(name: "f7", value: Array("v7".utf8))))
        #expect(try await c.scan(match: "nothing:*").collect().isEmpty)
    }

    @Test func authWithRightAndWrongPassword() async throws {
        let redis = try await RedisServer.start(password: "correct horse")
        let c = try await redis.connect()
        #expect(try await c.send("PING") == .simpleString("PONG"))
        c.close()

        var wrong = try redis.configuration
        wrong.password = "battery staple"
        await #expect(throws: RedisError.authenticationFailed("wrong password (or user)")) {
            _ = try await RedisConnection.connect(wrong)
        }
        var none = try redis.configuration
        none.password = nil
        await #expect(throws: RedisError.authenticationFailed("the server requires a password")) {
            _ = try await RedisConnection.connect(none)
        }
    }

    @Test func selectsTheDatabaseFromTheURL() async throws {
        let redis = try await RedisServer.start()
        let db3 = try await RedisConnection.connect(try RedisConfiguration(url: redis.url + "/3"))
        defer { db3.close() }
        try await db3.send("SET", "where", "three")
        let db0 = try await redis.connect()
        defer { db0.close() }
        #expect(try await db0.send("GET", "where") == .null)
        try await db0.send("SELECT", 3)
        #expect(try await db0.send("GET", "where").string == "three")
    }

    @Test func refusedConnectionIsAReadableError() async throws {
        let port = freeLoopbackPort()
        let config = try RedisConfiguration(url: "redis://127.0.0.1:\(port)")
        do {
            _ = try await RedisConnection.connect(config)
            Issue.record("connected to a port nobody listens on")
        } catch {
            #expect(error == .connectionRefused(address: "127.0.0.1:\(port)", reason: "connection refused"))
            #expect(error.description == "cannot connect to Redis at 127.0.0.1:\(port): connection refused")
        }
    }

    @Test func silentServerFailsWithinTheConnectTimeout() async throws {
        // A socket that listens but never answers: the TCP handshake succeeds, AUTH/PING never do.
        let silent = try SilentListener()
        defer { silent.close() }
        var config = try RedisConfiguration(url: "redis://127.0.0.1:\(silent.port)")
        config.connectTimeout = .milliseconds(500)
        // Every attempt waits at least the connect timeout, however fast the machine. The upper bound applies to the
        // fastest of three attempts: a stall of the machine lengthens the attempt it falls into, not all of them,
        // while a client that ignored the setting (and waited, say, the default 5 s) would be slow every time.
        let clock = ContinuousClock()
        var fastest = Duration.seconds(3600)
        for _ in 0..<3 {
            let started = clock.now
            await #expect(throws: RedisError.connectTimeout(address: "127.0.0.1:\(silent.port)", seconds: 0.5)) {
                _ = try await RedisConnection.connect(config)
            }
            let elapsed = clock.now - started
            #expect(elapsed >= .milliseconds(450))
            fastest = min(fastest, elapsed)
        }
        #expect(fastest < .seconds(3), "the fastest of three attempts took \(fastest)")
    }

    @Test func hungServerTimesOutInFlightCommands() async throws {
        let redis = try await RedisServer.start()
        var config = try redis.configuration
        config.commandTimeout = .milliseconds(300)
        // The handshake's PING is bound by the same 300 ms: on a stalled machine a connect can time out too, which
        // is not what this test is about; take the first of a few attempts that connects.
        var connected: RedisConnection?
        for _ in 0..<10 where connected == nil { connected = try? await RedisConnection.connect(config) }
        let c = try #require(connected)
        defer { c.close() }
        redis.pause()
        defer { redis.resume() }
        await #expect(throws: RedisError.timeout) { try await c.send("PING") }
    }
}

@Suite("Redis connection after close", .timeLimit(.minutes(1)))
struct ClosedConnectionTests {
    @Test func commandsOnAClosedConnectionFailInsteadOfHanging() async throws {
        let redis = try await RedisServer.start()
        let c = try await redis.connect()
        c.close()
        await c.waitUntilClosed()
        await #expect(throws: RedisError.self) { try await c.send("PING") }
        await #expect(throws: RedisError.self) { _ = try await c.pipeline([RedisCommand("PING"), RedisCommand("PING")]) }
    }
}
