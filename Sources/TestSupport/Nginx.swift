#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Debian's `nginx` in the foreground from a temporary directory (no root paths, no system service), on a free
/// loopback port, serving the project's `deploy/nginx.conf` with its upstream servers and `listen` rewritten to
/// the test's nodes and port. Stopped by its pid.
public final class Nginx: Sendable {
    public static let binary = "/usr/sbin/nginx"

    public let port: Int
    public let directory: String
    let process: ChildProcess

    public var wsURL: String { "ws://127.0.0.1:\(port)/ws" }

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 5)
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// `deploy/nginx.conf` (an `http {}` snippet: upstream, map, server) made to run here: every `server HOST:PORT`
    /// line of its upstream becomes one per `upstreams` port on 127.0.0.1 (keeping its parameters), and `listen …;`
    /// becomes `listen 127.0.0.1:<port>;`. Everything else — headers, timeouts, locations — is tested as committed.
    public static func rewrite(_ config: String, upstreams: [Int], port: Int) throws -> String {
        var lines: [String] = []
        var replacedServers = false, replacedListen = false
        for line in config.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = String(line.prefix { $0 == " " })
            if trimmed.hasPrefix("server "), trimmed.hasSuffix(";"), trimmed.contains(":") {
                // `server 10.0.0.1:9000 max_fails=… ;` inside the upstream block.
                guard !replacedServers else { continue }
                replacedServers = true
                let parameters = trimmed.dropFirst("server ".count).dropLast().split(separator: " ").dropFirst()
                for upstream in upstreams {
                    lines.append(indent + (["server", "127.0.0.1:\(upstream)"] + parameters.map(String.init)).joined(separator: " ") + ";")
                }
            } else if trimmed.hasPrefix("listen ") {
                guard !replacedListen else { continue }
                replacedListen = true
                lines.append(indent + "listen 127.0.0.1:\(port);")
            } else {
                lines.append(line)
            }
        }
        guard replacedServers, replacedListen else {
            throw TestSupportError("nginx config has no upstream `server host:port` line or no `listen` line")
        }
        return lines.joined(separator: "\n")
    }

    /// Starts nginx with `site` (an `http {}` snippet, see `rewrite`) and waits until it accepts connections.
    public static func start(site: (_ port: Int) throws -> String, timeout: Duration = .seconds(15)) async throws -> Nginx {
        guard isInstalled else { throw TestSupportError("\(binary) is missing: install nginx (make test-deps)") }
        var lastError: Error?
        for _ in 0..<3 {
            let directory = makeTemporaryDirectory("sigctl-nginx")
            // Workers may run as another user when the master is root: let them into their temp directories.
            chmod(directory, 0o755)
            let port = freeLoopbackPort()
            try site(port).write(toFile: directory + "/sigctl.conf", atomically: true, encoding: .utf8)
            let main = """
                daemon off;
                worker_processes 1;
                pid \(directory)/nginx.pid;
                error_log stderr notice;
                events { worker_connections 1024; }
                http {
                    access_log \(directory)/access.log;
                    client_body_temp_path \(directory)/client_body;
                    proxy_temp_path \(directory)/proxy;
                    fastcgi_temp_path \(directory)/fastcgi;
                    uwsgi_temp_path \(directory)/uwsgi;
                    scgi_temp_path \(directory)/scgi;
                    include \(directory)/sigctl.conf;
                }
                """
            try main.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                executable: binary, arguments: ["-p", directory, "-c", directory + "/nginx.conf", "-e", "stderr"],
                workingDirectory: directory, standardOutput: .file(directory + "/nginx.log", append: true))
            let nginx = Nginx(port: port, directory: directory, process: process)
            do {
                try await eventually("nginx listening on \(port)", timeout: timeout, interval: .milliseconds(20)) {
                    if let code = process.exited { throw TestSupportError("nginx exited with \(code): \(nginx.log.suffix(800))") }
                    return Self.accepts(port: port)
                }
                return nginx
            } catch {
                lastError = error
                process.signal(SIGKILL)
                await process.exit(timeout: .seconds(5))
            }
        }
        throw lastError!
    }

    /// nginx's own log (stderr), for failure messages.
    public var log: String { (try? String(contentsOfFile: directory + "/nginx.log", encoding: .utf8)) ?? "" }

    /// SIGQUIT (graceful), then SIGKILL if it lingers.
    public func stop() async {
        process.signal(SIGQUIT)
        if await process.exit(timeout: .seconds(5)) == nil {
            process.signal(SIGKILL)
            await process.exit(timeout: .seconds(5))
        }
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
