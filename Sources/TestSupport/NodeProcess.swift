#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real `sigctl serve` child process on a free loopback port, for end-to-end tests. Stopped by its pid.
///
/// The binary is found through `SIGCTL_BINARY`, else next to the test bundle (`swift build` puts `sigctl` in the
/// same directory), else in the package's `.build*/debug` directories.
public final class NodeProcess: @unchecked Sendable {
    public let port: Int
    public let process: ChildProcess
    public let logFile: String

    public var pid: pid_t { process.pid }
    public var wsURL: String { "ws://127.0.0.1:\(port)/ws" }

    private init(port: Int, process: ChildProcess, logFile: String) {
        self.port = port
        self.process = process
        self.logFile = logFile
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 5)
    }

    /// Starts `sigctl serve --port <free> --bind 127.0.0.1 <arguments>` and waits until `/health` answers.
    ///
    /// - Parameters:
    ///   - environment: added to a minimal environment (PATH, HOME, LANG); the caller's own environment is not
    ///     passed on, so a developer's `PORT` or `JWT_SECRET` cannot change a test.
    ///   - workingDirectory: where the node looks for `.env`; a fresh empty directory by default.
    public static func start(
        arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String? = nil,
        binary: String? = nil, readyTimeout: Duration = .seconds(30)
    ) async throws -> NodeProcess {
        let binary = try binary ?? locateBinary()
        let directory = workingDirectory ?? makeTemporaryDirectory()
        var lastError: Error?
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let logFile = directory + "/sigctl-\(port).log"
            let process = try ChildProcess(
                executable: binary, arguments: ["serve", "--port", "\(port)", "--bind", "127.0.0.1"] + arguments,
                environment: minimalEnvironment().merging(environment) { $1 }, workingDirectory: directory,
                standardOutput: .file(logFile, append: true))
            let node = NodeProcess(port: port, process: process, logFile: logFile)
            do {
                try await node.waitUntilHealthy(timeout: readyTimeout)
                return node
            } catch {
                // Most likely the port was taken between choosing and binding: try another.
                lastError = error
                process.signal(SIGKILL)
                await process.exit(timeout: .seconds(5))
            }
        }
        throw lastError!
    }

    /// Polls `/health` until it answers 200.
    public func waitUntilHealthy(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let code = process.exited {
                throw TestSupportError("sigctl exited with \(code): \(log.suffix(500))")
            }
            if let health = try? await httpGet(port: port, path: "/health", timeout: .seconds(1)), health.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("sigctl on port \(port) not healthy within \(timeout): \(log.suffix(500))")
    }

    /// What the node wrote to stdout and stderr so far.
    public var log: String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// Waits for the process to exit; its status, or nil on timeout.
    public func exit(timeout: Duration) async -> Int32? { await process.exit(timeout: timeout) }

    public func stop() async { await process.stop() }

    /// The `sigctl` executable to test.
    public static func locateBinary() throws -> String {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["SIGCTL_BINARY"], !path.isEmpty {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw TestSupportError("SIGCTL_BINARY=\(path) is not an executable file")
            }
            return path
        }
        var candidates: [String] = []
        if let executable = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            // …/.build/debug/sigctlPackageTests.xctest (Linux: the test runner itself).
            let directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("sigctl").path)
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("sigctl").path)
        }
        // From the package root (`swift test`'s working directory).
        let cwd = fileManager.currentDirectoryPath
        for buildDirectory in (try? fileManager.contentsOfDirectory(atPath: cwd)) ?? [] where buildDirectory.hasPrefix(".build") {
            candidates.append("\(cwd)/\(buildDirectory)/debug/sigctl")
        }
        guard let found = candidates.first(where: { fileManager.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError("cannot find the sigctl binary (tried \(candidates)); build it or set SIGCTL_BINARY")
        }
        return found
    }

    /// A fresh directory under the system's temporary directory.
    public static func makeTemporaryDirectory() -> String { TestSupport.makeTemporaryDirectory("sigctl-node") }

    private static func minimalEnvironment() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "TMPDIR"] { environment[name] = inherited[name] }
        return environment
    }
}
