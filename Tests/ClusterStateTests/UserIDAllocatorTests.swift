import ClusterState
import RedisClient
import Testing
import TestSupport

@Suite("User ids leased in blocks", .timeLimit(.minutes(1)))
struct UserIDAllocatorTests {
    @Test func idsComeFromLeasedBlocks() async throws {
        try await withRedis { _, redis in
            let ids = UserIDAllocator(redis: redis, blockSize: 10)
            #expect(ids.nextLeased() == nil)
            #expect(try await ids.next() == 1)
            #expect(try await redis.send("GET", "users:next_id").int == 10)
            #expect(ids.available == 9)
            var got: [UInt64] = []
            for _ in 0..<10 { got.append(try await ids.next()) }
            #expect(got == Array(2...11))
            #expect(try await redis.send("GET", "users:next_id").int == 20)
            #expect(ids.highestLeased == 20)
        }
    }

    @Test func allocatorsSharingRedisNeverCollide() async throws {
        try await withRedis { server, redis in
            let other = try await server.connect()
            defer { other.close() }
            let allocators = [UserIDAllocator(redis: redis, blockSize: 7), UserIDAllocator(redis: other, blockSize: 100),
                              UserIDAllocator(redis: redis, blockSize: 1)]
            let all = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        var mine: [UInt64] = []
                        for _ in 0..<300 { mine.append(try await allocators[worker % 3].next()) }
                        return mine
                    }
                }
                var all: [UInt64] = []
                for try await part in group { all += part }
                return all
            }
            #expect(all.count == 1800)
            #expect(Set(all).count == 1800)
            #expect(all.allSatisfy { $0 >= 1 && $0 <= UserIDAllocator.maxUserID })
        }
    }

    @Test func leasedIdsOutliveRedis() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        // The first refill may have to wait for the connection: longer than a stall of a busy machine, not the 2 s default.
        let client = RedisClient(configuration: try server.configuration, policy: ReconnectPolicy(commandWait: .seconds(60)),
                                 logger: quietLogger)
        let ids = UserIDAllocator(redis: client, blockSize: 5)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await ids.refill(below: 3)
            #expect(ids.available == 5)
            try await ids.refill(below: 3)
            #expect(ids.available == 5)
            group.cancelAll()
        }
        // Redis is gone (and the client with it): the lease keeps serving.
        server.kill()
        #expect(ids.nextLeased() == 1)
        #expect(try await ids.next() == 2)
        for expected in 3...5 { #expect(try await ids.next() == UInt64(expected)) }
        await #expect(throws: RedisError.closed) { try await ids.next() }
    }

    /// A burst of callers that each find the lease short (refills below the threshold, or ids wanted with none in
    /// hand) leases one block, not one per caller: at most one lease is in flight. Redis holds writes meanwhile
    /// (`CLIENT PAUSE … WRITE`), so every caller of the burst comes while the first lease waits for its answer.
    @Test func aBurstLeasesOneBlockAtATime() async throws {
        try await withRedis { server, redis in
            let pauser = try await server.connect()
            defer { pauser.close() }
            let ids = UserIDAllocator(redis: redis, blockSize: 100)
            _ = try await pauser.send("CLIENT", "PAUSE", 300, "WRITE")
            let handedOut = try await withThrowingTaskGroup(of: UInt64?.self) { group in
                for k in 0..<40 {
                    group.addTask {
                        if k.isMultiple(of: 2) {
                            try await ids.refill(below: 25)
                            return nil
                        }
                        return try await ids.next()
                    }
                }
                var all: [UInt64] = []
                for try await id in group { if let id { all.append(id) } }
                return all
            }
            #expect(try await redis.send("GET", "users:next_id").int == 100, "one block for the whole burst")
            #expect(handedOut.sorted() == Array(1...20))
            #expect(ids.available == 80)

            // Below the threshold again: again one block, however many refills ask at once.
            for _ in 0..<60 { _ = ids.nextLeased() }
            #expect(ids.available == 20)
            _ = try await pauser.send("CLIENT", "PAUSE", 300, "WRITE")
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<20 { group.addTask { try await ids.refill(below: 25) } }
            }
            #expect(try await redis.send("GET", "users:next_id").int == 200)
            #expect(ids.available == 120)
        }
    }

    @Test func raisingTheCounterAfterARestart() async throws {
        try await withRedis { _, redis in
            let ids = UserIDAllocator(redis: redis, blockSize: 100)
            _ = try await ids.next()
            try await redis.send("FLUSHALL")                 // Redis came back empty
            #expect(try await ids.raiseCounter(atLeast: 42) == 100)   // at least what this allocator leased
            #expect(try await ids.raiseCounter(atLeast: 500) == 500)
            #expect(try await ids.raiseCounter(atLeast: 10) == 500)   // never lowered
            let fresh = UserIDAllocator(redis: redis, blockSize: 10)
            #expect(try await fresh.next() == 501)
            try await redis.send("FLUSHALL")
            #expect(try await UserIDAllocator(redis: redis).raiseCounter() == 0)
            try await redis.send("SET", "users:next_id", "garbage")
            await #expect(throws: RedisError.self) { try await ids.raiseCounter(atLeast: 1) }
        }
    }

    @Test func idsStopAtTwoToTheFiftyThreeMinusOne() async throws {
        try await withRedis { _, redis in
            let max = UserIDAllocator.maxUserID
            #expect(max == 9_007_199_254_740_991)
            try await redis.send("SET", "users:next_id", max - 4)
            let ids = UserIDAllocator(redis: redis, blockSize: 10)
            var got: [UInt64] = []
            for _ in 0..<4 { got.append(try await ids.next()) }
            #expect(got == [max - 3, max - 2, max - 1, max])
            await #expect(throws: ClusterStateError.userIDsExhausted) { try await ids.next() }
        }
    }
}
