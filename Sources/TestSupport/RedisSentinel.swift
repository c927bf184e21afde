#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RedisClient

/// A real `redis-sentinel` on a free loopback port, watching one master, for one test. Stopped by its pid.
///
/// Its timers are shortened with `SENTINEL DEBUG` (and `down-after-milliseconds` in its config), so that a failover
/// takes about a second rather than the production defaults' tens of seconds; `timings` says which.
public final class RedisSentinel: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let lock = NSLock()
    private var process: ChildProcess?

    public var address: String { "127.0.0.1:\(port)" }
    public var pid: pid_t? { lock.withLock { process?.pid } }

    /// `down-after-milliseconds` and the `SENTINEL DEBUG` periods every test Sentinel runs with.
    public static let downAfterMilliseconds = 1000
    public static let debugTimings: [(String, Int)] = [
        ("info-period", 200), ("ping-period", 200), ("publish-period", 500), ("ask-period", 200),
        ("tilt-trigger", 30_000), ("tilt-period", 1000), ("min-link-reconnect-period", 200),
    ]
    public static var timings: String {
        "down-after-milliseconds \(downAfterMilliseconds), failover-timeout 5000; SENTINEL DEBUG "
            + debugTimings.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    /// Starts a Sentinel that monitors `masterName` at `masterPort` with quorum `quorum`, and waits until it answers.
    public static func start(masterName: String, masterPort: Int, quorum: Int) async throws -> RedisSentinel {
        var lastError: Error?
        for _ in 0..<5 {
            let sentinel = RedisSentinel(port: freeLoopbackPort())
            do {
                try await sentinel.launch(masterName: masterName, masterPort: masterPort, quorum: quorum)
                return sentinel
            } catch {
                lastError = error
                sentinel.kill()
            }
        }
        throw lastError!
    }

    private init(port: Int) {
        self.port = port
        directory = makeTemporaryDirectory("sigctl-sentinel-\(port)")
    }

    deinit {
        process?.signal(SIGKILL)
        _ = process?.waitForExit(timeout: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func kill() {
        let p = lock.withLock { () -> ChildProcess? in
            defer { process = nil }
            return process
        }
        p?.signal(SIGKILL)
        p?.waitForExit(timeout: 10)
    }

    public func stop() { kill() }

    /// A connection to this Sentinel.
    public func connect() async throws -> RedisConnection {
        var config = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: port))
        config.connectTimeout = .seconds(5)
        config.commandTimeout = .seconds(30)
        return try await RedisConnection.connect(config)
    }

    /// Sends one command to this Sentinel.
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        let c = try await connect()
        defer { c.close() }
        return try await c.send(RedisCommand(arguments[0], arguments: Array(arguments.dropFirst())))
    }

    private func launch(masterName: String, masterPort: Int, quorum: Int) async throws {
        // Sentinel rewrites its configuration file, so each one gets its own, in its own directory.
        let config = """
            port \(port)
            bind 127.0.0.1
            daemonize no
            dir \(directory)
            loglevel notice
            sentinel monitor \(masterName) 127.0.0.1 \(masterPort) \(quorum)
            sentinel down-after-milliseconds \(masterName) \(Self.downAfterMilliseconds)
            sentinel failover-timeout \(masterName) 5000
            sentinel parallel-syncs \(masterName) 2

            """
        try config.write(toFile: directory + "/sentinel.conf", atomically: true, encoding: .utf8)
        let p = try ChildProcess(executable: "redis-sentinel", arguments: [directory + "/sentinel.conf"],
                                 standardOutput: .file(directory + "/sentinel.log", append: true))
        lock.withLock { process = p }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while clock.now < deadline {
            if let code = p.exited {
                let log = (try? String(contentsOfFile: directory + "/sentinel.log", encoding: .utf8)) ?? ""
                throw TestSupportError("redis-sentinel exited with \(code): \(log.suffix(300))")
            }
            if let c = try? await connect() {
                defer { c.close() }
                let args: [any RedisArgument] = Self.debugTimings.flatMap { [$0.0, $0.1] as [any RedisArgument] }
                _ = try await c.send(RedisCommand("SENTINEL", arguments: ["DEBUG"] + args))
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("redis-sentinel on port \(port) did not answer within 20 s")
    }

    /// What the Sentinel logged so far.
    public var log: String { (try? String(contentsOfFile: directory + "/sentinel.log", encoding: .utf8)) ?? "" }
}
