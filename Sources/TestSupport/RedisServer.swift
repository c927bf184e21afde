#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RedisClient

/// A real `redis-server` on a free loopback port, for one test. Stopped by its pid.
///
/// It can be killed (SIGKILL) and started again on the same port, empty, which is what the fault
/// tests need: a Redis that dies under a running node and comes back.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let password: String?
    public let directory: String
    /// Added to the server's command line (`--replicaof …`, TLS files).
    public let extraArguments: [String]
    /// Set: the server speaks TLS only (`--tls-port`, no plain port), and `url`/`configuration` use it.
    public let tls: RedisTLSOptions?
    private let lock = NSLock()
    private var process: ChildProcess?

    public var url: String {
        let auth = password.map { ":\($0)@" } ?? ""
        guard let tls else { return "redis://\(auth)127.0.0.1:\(port)" }
        return "rediss://\(auth)127.0.0.1:\(port)" + (tls.caFile.map { "?tls_ca_file=\($0)" } ?? "")
    }

    /// How tests reach this server. Its connect and command timeouts are far longer than the defaults (5 s, 10 s), so
    /// that a machine that stalls for several seconds with a command in flight does not time it out (and close the
    /// connection); a test of those timeouts sets its own.
    public var configuration: RedisConfiguration {
        get throws {
            var configuration = try RedisConfiguration(url: url)
            configuration.connectTimeout = .seconds(30)
            configuration.commandTimeout = .seconds(60)
            return configuration
        }
    }

    public var pid: pid_t? { lock.withLock { process?.pid } }

    /// Starts a server and waits until it answers PING.
    ///
    /// With `tls` (whose CA file is the one the tests' clients trust), `tlsServerFiles` names the server's
    /// certificate, key and CA files (`TestCertificates`), and the server listens with TLS only.
    public static func start(
        password: String? = nil, arguments: [String] = [], tls: RedisTLSOptions? = nil,
        tlsServerFiles: (certificate: String, key: String, ca: String)? = nil
    ) async throws -> RedisServer {
        var lastError: Error?
        for _ in 0..<5 {
            var extra: [String] = []
            if let files = tlsServerFiles {
                // No client certificate required unless `arguments` says otherwise (`--tls-auth-clients yes`, later, wins).
                extra += ["--tls-cert-file", files.certificate, "--tls-key-file", files.key, "--tls-ca-cert-file", files.ca,
                          "--tls-auth-clients", "no"]
            }
            extra += arguments
            let server = RedisServer(port: freeLoopbackPort(), password: password, extraArguments: extra,
                                     tls: tlsServerFiles == nil ? nil : (tls ?? RedisTLSOptions()))
            do {
                try await server.launch()
                return server
            } catch {
                // Most likely the port was taken between choosing and binding: try another.
                lastError = error
                server.kill()
            }
        }
        throw lastError!
    }

    private init(port: Int, password: String?, extraArguments: [String], tls: RedisTLSOptions?) {
        self.port = port
        self.password = password
        self.extraArguments = extraArguments
        self.tls = tls
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigctl-redis-\(port)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.directory = dir.path
    }

    deinit {
        process?.signal(SIGKILL)
        _ = process?.waitForExit(timeout: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the server again on the same port (after `kill()`), empty, and waits until it answers.
    public func restart() async throws {
        kill()
        try await launch()
    }

    /// SIGKILL: the server vanishes the way a crashed host would, with no chance to reply or save.
    public func kill() {
        let p = lock.withLock { () -> ChildProcess? in
            defer { process = nil }
            return process
        }
        p?.signal(SIGKILL)
        p?.waitForExit(timeout: 10)
    }

    /// SIGSTOP/SIGCONT: a Redis that hangs without closing connections.
    public func pause() { lock.withLock { process }?.signal(SIGSTOP) }
    public func resume() { lock.withLock { process }?.signal(SIGCONT) }

    public func stop() { kill() }

    private func launch() async throws {
        let ports = tls == nil ? ["--port", "\(port)"] : ["--port", "0", "--tls-port", "\(port)"]
        var args = ports + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", directory, "--daemonize", "no", "--loglevel", "warning"]
        if let password { args += ["--requirepass", password] }
        args += extraArguments
        let p = try ChildProcess(executable: "redis-server", arguments: args,
                                 standardOutput: .file(directory + "/redis.log", append: true))
        lock.withLock { process = p }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while clock.now < deadline {
            if let code = p.exited {
                let log = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
                throw TestSupportError("redis-server exited with \(code): \(log.suffix(300))")
            }
            if await pingOnce() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("redis-server on port \(port) did not answer within 20 s")
    }

    private func pingOnce() async -> Bool {
        var config = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: port), password: password)
        config.tls = tls
        config.connectTimeout = .seconds(1)
        guard let c = try? await RedisConnection.connect(config) else { return false }
        defer { c.close() }
        return (try? await c.send("PING")) != nil
    }

    /// A fresh connection to this server.
    public func connect() async throws -> RedisConnection {
        try await RedisConnection.connect(try configuration)
    }
}
