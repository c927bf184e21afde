#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// What one run of a program produced.
struct CLIResult: Sendable, CustomStringConvertible {
    var arguments: [String]
    /// The exit status, or 128 + signal when it was killed (SIGKILL on timeout: 137).
    var exitCode: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    /// The non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String {
        "sigctl \(arguments.joined(separator: " ")) → exit \(exitCode)\(timedOut ? " (timed out, killed)" : "")\n"
            + "--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)--------------"
    }

    /// stdout parsed as one JSON document.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

/// A program started with `posix_spawn` with a clean signal mask and default signal handlers (not `Foundation.Process`,
/// whose children inherit a mask that blocks SIGTERM), stdin from a file or /dev/null, stdout and stderr each to its
/// own file, which can be read at any time while it runs.
final class SpawnedProgram: @unchecked Sendable {
    enum Input {
        case null
        case text(String)
    }

    let pid: pid_t
    let arguments: [String]
    let directory: String
    private let outputDirectory: String
    private let stdoutPath: String
    private let stderrPath: String
    private let ownsDirectory: Bool
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable` (a path, or a name looked up in PATH) in `workingDirectory` (a fresh temporary directory
    /// when nil, which is also the default HOME), with a minimal environment (PATH, LANG, TMPDIR, HOME) plus
    /// `environment`: nothing from the developer's own environment (REDIS_URL, NO_COLOR…) reaches it.
    init(executable: String, arguments: [String], environment: [String: String] = [:], input: Input = .null,
         workingDirectory: String? = nil) throws {
        self.arguments = arguments
        ownsDirectory = workingDirectory == nil
        directory = workingDirectory ?? makeTemporaryDirectory("sigctl-run")
        let tag = UUID().uuidString.prefix(8)
        let outputs = makeTemporaryDirectory("sigctl-out")
        outputDirectory = outputs
        stdoutPath = outputs + "/stdout-\(tag)"
        stderrPath = outputs + "/stderr-\(tag)"

        var stdinPath = "/dev/null"
        if case .text(let text) = input {
            stdinPath = outputs + "/stdin-\(tag)"
            try Data(text.utf8).write(to: URL(fileURLWithPath: stdinPath))
        }

        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&fileActions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = ["HOME": directory, "LANG": inherited["LANG"] ?? "C.UTF-8"]
        for name in ["PATH", "TMPDIR"] { env[name] = inherited[name] }
        env.merge(environment) { $1 }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        // glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: change directory through a shell.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = envStrings.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &fileActions, &attributes, &cArgv, &cEnv)
        guard rc == 0 else { throw TestSupportError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    deinit {
        if exited == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(atPath: outputDirectory)
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The exit code (or 128 + signal) once it has ended, else nil. Reaps the child.
    var exited: Int32? {
        lock.withLock {
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            status = code
            return code
        }
    }

    func signal(_ signal: Int32) {
        if exited == nil { kill(pid, signal) }
    }

    /// Polls until it exits; its status, or nil on timeout.
    func wait(timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let code = exited { return code }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exited
    }

    /// Waits for the exit, killing it with SIGKILL after `timeout`, and returns what it printed.
    func finish(timeout: Duration) async -> CLIResult {
        var timedOut = false
        var code = await wait(timeout: timeout)
        if code == nil {
            timedOut = true
            signal(SIGKILL)
            code = await wait(timeout: .seconds(10))
        }
        return CLIResult(arguments: arguments, exitCode: code ?? -1, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    enum Stream { case stdout, stderr }

    /// Polls the output until it contains `text`; fails if the program ends first or after `timeout`.
    func waitForOutput(_ text: String, on stream: Stream, timeout: Duration = .seconds(20)) async throws {
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

/// The `sigctl` binary under test (`SIGCTL_BINARY`, or the one built next to the tests).
func sigctlBinary() throws -> String { try NodeProcess.locateBinary() }

/// Starts `sigctl` with `arguments` and returns at once (for `tail`).
func startSigctl(_ arguments: [String], environment: [String: String] = [:], input: SpawnedProgram.Input = .null,
                 workingDirectory: String? = nil) throws -> SpawnedProgram {
    try SpawnedProgram(executable: try sigctlBinary(), arguments: arguments, environment: environment, input: input,
                       workingDirectory: workingDirectory)
}

/// Runs `sigctl` as an operator would, without a terminal, and captures stdout, stderr and the exit code. A run that
/// takes longer than `timeout` is killed (SIGKILL) and reported as timed out.
func sigctl(_ arguments: [String], environment: [String: String] = [:], input: SpawnedProgram.Input = .null,
            workingDirectory: String? = nil, timeout: Duration = .seconds(30)) async throws -> CLIResult {
    let program = try startSigctl(arguments, environment: environment, input: input, workingDirectory: workingDirectory)
    return await program.finish(timeout: timeout)
}

/// A fresh directory under the system's temporary directory.
func makeTemporaryDirectory(_ prefix: String) -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// ANSI escape sequences, which must never reach a stdout that is not a terminal.
func containsEscapes(_ text: String) -> Bool { text.contains("\u{1B}[") }
