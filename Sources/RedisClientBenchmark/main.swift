// Throughput of RedisClient on one connection: pipelined PING, SET and PUBLISH.
// Run by scripts/bench-redis-client.sh next to redis-benchmark against the same server.
//
// usage: redis-client-bench URL [commands-per-test] [batch] [batches-in-flight]
import Foundation
import RedisClient

@main
enum RedisClientBenchmark {
    static func main() async throws {
        let args = CommandLine.arguments
        guard args.count >= 2 else {
            FileHandle.standardError.write(Data("usage: redis-client-bench URL [total] [batch] [in-flight]\n".utf8))
            exit(2)
        }
        let total = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000
        let batch = args.count > 3 ? Int(args[3]) ?? 16 : 16
        let inFlight = args.count > 4 ? Int(args[4]) ?? 32 : 32
        let connection = try await RedisConnection.connect(try RedisConfiguration(url: args[1]))
        defer { connection.close() }

        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 3)  // redis-benchmark's default -d 3
        let tests: [(String, @Sendable (Int) -> RedisCommand)] = [
            ("PING", { _ in RedisCommand("PING") }),
            ("SET", { i in RedisCommand("SET", "key:\(i % 100_000)", value) }),
            ("PUBLISH", { _ in RedisCommand("PUBLISH", "ch", "hello") }),
        ]
        for (name, make) in tests {
            let rate = try await measure(connection: connection, total: total, batch: batch, inFlight: inFlight, make: make)
            print("\(name): \(Int(rate)) requests per second")
        }
    }

    /// `inFlight` tasks each send batches of `batch` commands (one write per batch) until `total`
    /// replies have arrived; all share the one connection.
    static func measure(connection: RedisConnection, total: Int, batch: Int, inFlight: Int,
                        make: @escaping @Sendable (Int) -> RedisCommand) async throws -> Double {
        let batches = total / batch
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<inFlight {
                group.addTask {
                    var b = worker
                    while b < batches {
                        let commands = (0..<batch).map { make(b * batch + $0) }
                        let replies = try await connection.pipeline(commands)
                        precondition(replies.count == batch && replies.allSatisfy { $0.errorMessage == nil })
                        b += inFlight
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(batches * batch) / seconds
    }
}
