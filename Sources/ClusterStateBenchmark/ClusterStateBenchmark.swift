// Measures issue 3's figures for ClusterState against a Redis the caller provides (scripts/bench-cluster-state.sh
// starts a private one). Not a test: it prints numbers. It FLUSHALLs the database it is given.
//
//   ClusterStateBenchmark --redis-url redis://127.0.0.1:6399 [--users 10000] [--registrations 100000] [--in-flight 64]

import ClusterState
import Foundation
import RedisClient

struct Options {
    var url = "redis://127.0.0.1:6379"
    var users = 10_000
    var registrations = 100_000
    var inFlight = 64

    init(_ arguments: [String]) throws {
        var i = 1
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--redis-url": url = try value()
            case "--users": users = Int(try value()) ?? users
            case "--registrations": registrations = Int(try value()) ?? registrations
            case "--in-flight": inFlight = Int(try value()) ?? inFlight
            default: throw BenchError("unknown argument \(arguments[i])")
            }
            i += 1
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// User `i` (1-based) of the standard population: rooms of 4, spread over 3 nodes.
func population(_ count: Int, nodes: [String]) -> [(node: String, record: ConnectionRecord)] {
    (1...count).map { i in
        let record = ConnectionRecord(userID: UInt64(i), username: "user\(i)", roomID: "room\((i - 1) / 4 + 1)",
                                      connectedAt: 1_704_103_200, connectionID: ConnectionRecord.newConnectionID())
        return (nodes[i % nodes.count], record)
    }
}

func usedMemory(_ redis: RedisConnection) async throws -> Int {
    let info = try await redis.send("INFO", "memory").string ?? ""
    for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
        return Int(line.dropFirst("used_memory:".count)) ?? 0
    }
    throw BenchError("no used_memory in INFO")
}

/// used_memory after the server has settled: Redis trims an idle client's query buffer after 2 s, so wait that out,
/// then take the lowest of a few samples.
func settledMemory(_ redis: RedisConnection) async throws -> Int {
    try await Task.sleep(for: .milliseconds(2500))
    var lowest = Int.max
    for _ in 0..<4 {
        lowest = min(lowest, try await usedMemory(redis))
        try await Task.sleep(for: .milliseconds(250))
    }
    return lowest
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

@main
struct ClusterStateBenchmark {
    static func main() async {
        do {
            try await run(try Options(CommandLine.arguments))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: Options) async throws {
        let configuration = try RedisConfiguration(url: options.url)
        let redis = try await RedisConnection.connect(configuration)
        let observer = try await RedisConnection.connect(configuration)
        defer {
            redis.close()
            observer.close()
        }
        let registry = ClusterRegistry(redis: redis)
        let version = (try await observer.send("INFO", "server").string ?? "")
            .split(whereSeparator: \.isNewline).first { $0.hasPrefix("redis_version:") }?.dropFirst("redis_version:".count) ?? "?"
        print("redis \(version) at \(configuration.addressDescription); \(options.users) users in rooms of 4 over 3 nodes")
        for (_, script) in ClusterScripts.all { try await redis.send("SCRIPT", "LOAD", script.source) }

        // 1. Memory per connected user.
        let nodes = ["signaling-1", "signaling-2", "signaling-3"]
        let people = population(options.users, nodes: nodes)
        let recordBytes = Double(people.reduce(0) { $0 + $1.record.jsonBytes.count }) / Double(people.count)
        // Both writers insert in the same order: node by node, 1,000 users per round trip.
        func byNode() -> [(node: String, records: [ConnectionRecord])] {
            nodes.flatMap { node -> [(node: String, records: [ConnectionRecord])] in
                let mine = people.filter { $0.node == node }.map(\.record)
                return stride(from: 0, to: mine.count, by: 1000).map { (node, Array(mine[$0..<min($0 + 1000, mine.count)])) }
            }
        }
        func writeThroughRegistry() async throws {
            for (node, records) in byNode() { try await registry.registerAll(records, node: node) }
        }
        func writeBare() async throws {
            for (node, records) in byNode() {
                var commands: [RedisCommand] = []
                for record in records {
                    commands.append(RedisCommand("HSET", ClusterKeys.connections(node: node), record.userID, record.jsonBytes))
                    commands.append(RedisCommand("HSET", ClusterKeys.participants(room: record.roomID), record.userID, node))
                }
                _ = try await redis.pipelineChecked(commands)
            }
        }
        func measure(_ write: () async throws -> Void) async throws -> Int {
            try await redis.send("FLUSHALL")
            let before = try await settledMemory(observer)
            try await write()
            let after = try await settledMemory(observer)
            try await redis.send("FLUSHALL")
            return after - before
        }
        try await writeThroughRegistry()            // warm-up: the allocator and the keyspace reach their steady state
        let viaRegistry = try await measure(writeThroughRegistry)
        let bare = try await measure(writeBare)
        let perUser = Double(viaRegistry) / Double(options.users)
        let barePerUser = Double(bare) / Double(options.users)
        print("memory: used_memory +\(viaRegistry) B for \(options.users) users = \(format(perUser)) B/user "
              + "(bare HSET writer of the same data: \(format(barePerUser)) B/user; mean record \(format(recordBytes)) B of JSON)")

        // 2. Sweep of a dead node with all the users, every command logged by SLOWLOG, a PSUBSCRIBE cluster:* listening.
        try await redis.send("FLUSHALL")
        let dead = population(options.users, nodes: ["dead-1"]).map(\.record)
        var start = 0
        while start < dead.count {
            try await registry.registerAll(Array(dead[start..<min(start + 1000, dead.count)]), node: "dead-1")
            start += 1000
        }
        let subscriber = RedisSubscriber(configuration: configuration)
        let (heardAll, heardAllContinuation) = AsyncStream.makeStream(of: Int.self)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let listener = Task {
            var count = 0
            for await event in subscriber.events {
                switch event {
                case .subscribed: readyContinuation.yield()
                case .message(let m):
                    count += 1
                    if m.channel == ClusterChannels.events { heardAllContinuation.yield(count) }
                default: break
                }
            }
        }
        let subscription = Task { await subscriber.run() }
        try await subscriber.psubscribe([ClusterChannels.allPattern])
        var readyIterator = ready.makeAsyncIterator()
        _ = await readyIterator.next()

        let oldThreshold = try await observer.send("CONFIG", "GET", "slowlog-log-slower-than").stringArray?.last ?? "10000"
        let oldLength = try await observer.send("CONFIG", "GET", "slowlog-max-len").stringArray?.last ?? "128"
        try await observer.send("CONFIG", "SET", "slowlog-max-len", "1000000")
        try await observer.send("CONFIG", "SET", "slowlog-log-slower-than", "0")
        try await observer.send("SLOWLOG", "RESET")
        let clock = ContinuousClock()
        let sweepStart = clock.now
        let report = try await registry.sweep(by: "bench")
        let sweepTime = clock.now - sweepStart
        try await observer.send("CONFIG", "SET", "slowlog-log-slower-than", oldThreshold ?? "10000")
        let log = try await observer.send("SLOWLOG", "GET", "-1").array ?? []
        try await observer.send("CONFIG", "SET", "slowlog-max-len", oldLength ?? "128")
        var heardIterator = heardAll.makeAsyncIterator()
        let heard = await heardIterator.next() ?? 0
        subscription.cancel()
        listener.cancel()
        var slowest = (micros: Int64(0), command: "")
        var over10ms = 0
        var logged = 0
        for entry in log {
            guard let fields = entry.array, fields.count >= 4, let micros = fields[2].int else { continue }
            let words = fields[3].array?.compactMap(\.string) ?? []
            if words.first?.uppercased() == "SLOWLOG" || words.first?.uppercased() == "CONFIG" { continue }
            logged += 1
            if micros > 10_000 { over10ms += 1 }
            if micros > slowest.micros { slowest = (micros, words.prefix(2).joined(separator: " ")) }
        }
        print("sweep: \(report.usersRemoved) users of a dead node removed in \(format(seconds(sweepTime) * 1000)) ms "
              + "(\(heard) messages heard on cluster:*); \(logged) Redis commands, slowest \(format(Double(slowest.micros) / 1000, 2)) ms "
              + "(\(slowest.command.prefix(60))), over 10 ms: \(over10ms)")

        // 3. Registrations per second through the registry, one connection. The records are built beforehand: the
        // figure is the registry's, not the UUID generator's.
        try await redis.send("FLUSHALL")
        let total = options.registrations
        let inFlight = options.inFlight
        let records = (0..<total).map { i in
            ConnectionRecord(userID: UInt64(i + 1), username: "user\(i + 1)", roomID: "room\(i / 4 + 1)",
                             connectedAt: 1_704_103_200, connectionID: ConnectionRecord.newConnectionID())
        }
        let regStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<inFlight {
                group.addTask {
                    var i = worker
                    while i < total {
                        try await registry.register(records[i], node: nodes[i % 3])
                        i += inFlight
                    }
                }
            }
            try await group.waitForAll()
        }
        let regTime = clock.now - regStart
        let registered = try await observer.send("HLEN", ClusterKeys.connections(node: "signaling-1")).int ?? 0

        try await redis.send("FLUSHALL")
        let sequential = min(total, 10_000)
        let seqStart = clock.now
        for i in 0..<sequential { try await registry.register(records[i], node: nodes[i % 3]) }
        let seqTime = clock.now - seqStart

        try await redis.send("FLUSHALL")
        let batchStart = clock.now
        for (k, node) in nodes.enumerated() {
            let mine = stride(from: k, to: total, by: 3).map { records[$0] }
            for first in stride(from: 0, to: mine.count, by: 1000) {
                try await registry.registerAll(Array(mine[first..<min(first + 1000, mine.count)]), node: node)
            }
        }
        let batchTime = clock.now - batchStart
        try await redis.send("FLUSHALL")
        print("registrations: \(total) register() calls, \(inFlight) in flight on one connection: \(format(seconds(regTime), 2)) s = "
              + "\(Int(Double(total) / seconds(regTime)))/s (signaling-1 holds \(registered)); "
              + "one at a time: \(Int(Double(sequential) / seconds(seqTime)))/s; registerAll in batches of 1000: "
              + "\(Int(Double(total) / seconds(batchTime)))/s")
    }
}
