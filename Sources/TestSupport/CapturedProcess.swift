#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A program run as an operator would run it, without a terminal: stdin from text or /dev/null, stdout and stderr each
/// to its own file, which can be read at any time while it runs. A `ChildProcess` underneath, so it has the same clean
/// signal mask and default handlers.
public final class CapturedProcess: Sendable {
    public enum Input: Sendable {
        case null
        case text(String)
    }

    public enum Stream: Sendable { case stdout, stderr }

    public let process: ChildProcess
    public let arguments: [String]
    /// The working directory.
    public let directory: String
    private let outputDirectory: String
    private let stdoutPath: String
    private let stderrPath: String
    private let ownsDirectory: Bool

    public var pid: pid_t { process.pid }

    /// Starts `executable` (a path, or a name looked up in PATH) in `workingDirectory` (a fresh temporary directory
    /// when nil, which is also the default HOME, removed again with this object), with a minimal environment (PATH,
    /// LANG, TMPDIR, HOME) plus `environment`: nothing from the developer's own environment (REDIS_URL, NO_COLOR…)
    /// reaches it.
    public init(executable: String, arguments: [String], environment: [String: String] = [:], input: Input = .null,
                workingDirectory: String? = nil) throws {
        self.arguments = arguments
        ownsDirectory = workingDirectory == nil
        let directory = workingDirectory ?? makeTemporaryDirectory("sigctl-run")
        self.directory = directory
        let outputs = makeTemporaryDirectory("sigctl-out")
        outputDirectory = outputs
        stdoutPath = outputs + "/stdout"
        stderrPath = outputs + "/stderr"

        var stdinPath = "/dev/null"
        if case .text(let text) = input {
            stdinPath = outputs + "/stdin"
            try Data(text.utf8).write(to: URL(fileURLWithPath: stdinPath))
        }

        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = ["HOME": directory, "LANG": inherited["LANG"] ?? "C.UTF-8"]
        for name in ["PATH", "TMPDIR"] { env[name] = inherited[name] }
        env.merge(environment) { $1 }
        process = try ChildProcess(
            executable: executable, arguments: arguments, environment: env, workingDirectory: directory,
            standardInput: stdinPath, standardOutput: .file(stdoutPath, append: false),
            standardError: .file(stderrPath, append: false))
    }

    deinit {
        process.signal(SIGKILL)
        process.waitForExit(timeout: 5)
        try? FileManager.default.removeItem(atPath: outputDirectory)
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The exit code (or 128 + signal) once it has ended, else nil.
    public var exited: Int32? { process.exited }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// Polls until it exits; its status, or nil on timeout.
    public func wait(timeout: Duration) async -> Int32? { await process.exit(timeout: timeout) }

    /// Waits for the exit, killing it with SIGKILL after `timeout`, and returns what it printed.
    public func finish(timeout: Duration) async -> ProcessResult {
        var timedOut = false
        var code = await wait(timeout: timeout)
        if code == nil {
            timedOut = true
            signal(SIGKILL)
            code = await wait(timeout: .seconds(10))
        }
        return ProcessResult(program: URL(fileURLWithPath: process.executable).lastPathComponent, arguments: arguments,
                             exitCode: code ?? -1, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Polls the output until it contains `text`; fails if the program ends first or after `timeout`.
    public func waitForOutput(_ text: String, on stream: Stream, timeout: Duration = .seconds(20)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let output = stream == .stdout ? stdout : self.stderr
            if output.contains(text) { return }
            if let code = exited {
                throw TestSupportError("\(arguments) exited with \(code) before printing '\(text)'; stdout: \(stdout) stderr: \(self.stderr)")
            }
            guard clock.now < deadline else {
                throw TestSupportError("\(arguments) did not print '\(text)' within \(timeout); stdout: \(stdout) stderr: \(self.stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// What one run of a program produced.
public struct ProcessResult: Sendable, CustomStringConvertible {
    /// The program's name (the last component of its path).
    public var program: String
    public var arguments: [String]
    /// The exit status, or 128 + signal when it was killed (SIGKILL on timeout: 137).
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool

    public init(program: String, arguments: [String], exitCode: Int32, stdout: String, stderr: String, timedOut: Bool) {
        self.program = program
        self.arguments = arguments
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }

    /// The non-empty lines of stderr.
    public var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    public var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    public var description: String {
        "\(([program] + arguments).joined(separator: " ")) → exit \(exitCode)\(timedOut ? " (timed out, killed)" : "")\n"
            + "--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)--------------"
    }

    /// stdout parsed as one JSON document.
    public func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

/// A fresh directory under the system's temporary directory, named `prefix-` and eight random characters.
public func makeTemporaryDirectory(_ prefix: String) -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}
