#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A child process started with `posix_spawn`, with a clean signal mask and default handlers.
///
/// Why not `Foundation.Process`: started from a Swift-concurrency thread it passes on a signal mask
/// that blocks SIGTERM, so the child ignores `terminate()`. Fault tests must be able to send SIGTERM
/// and SIGKILL and see the process go.
///
/// The child stays in the test runner's process group, so that killing the group (what `.ci/run` does when a run
/// overstays its time) takes the children with it.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// /dev/null.
        case discard
        /// A file, created if missing; appended to, or truncated first.
        case file(String, append: Bool)
        /// For stderr: wherever stdout goes.
        case standardOutput
    }

    public let pid: pid_t
    public let executable: String
    public let arguments: [String]
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` (a path, or a name looked up in PATH) with `environment` (the caller's own when nil),
    /// in `workingDirectory` (the caller's when nil), reading stdin from the file `standardInput`.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                workingDirectory: String? = nil, standardInput: String = "/dev/null",
                standardOutput: Output = .discard, standardError: Output = .standardOutput) throws {
        self.executable = executable
        self.arguments = arguments
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, standardInput, O_RDONLY, 0)
        for (fd, output) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch output {
            case .discard:
                posix_spawn_file_actions_addopen(&fileActions, fd, "/dev/null", O_WRONLY, 0)
            case .file(let path, let append):
                let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                posix_spawn_file_actions_addopen(&fileActions, fd, path, mode, 0o644)
            case .standardOutput:
                posix_spawn_file_actions_adddup2(&fileActions, 1, fd)
            }
        }
        // Nothing else of the test process reaches the child: sockets are not all close-on-exec, and a long-lived
        // child (a browser, nginx) holding a copy of an in-process node's client socket keeps that connection open
        // after the node closes it.
        closeFrom(3, in: &fileActions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        // glibc 2.36's addchdir_np is not visible to Swift: change directory through a shell instead.
        let argv = workingDirectory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, executable] + arguments }
            ?? [executable] + arguments
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &fileActions, &attributes, &cArgv, &cEnv)
        guard rc == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    deinit {
        if exited == nil { kill(pid, SIGKILL); _ = waitForExit(timeout: 5) }
    }

    /// Sends a signal (SIGTERM, SIGKILL, SIGSTOP, ...).
    public func signal(_ signal: Int32) {
        if exited == nil { kill(pid, signal) }
    }

    /// The exit code (or 128 + signal) once the process has ended, else nil. Reaps the child.
    public var exited: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        let code: Int32
        if status & 0x7f == 0 { code = (status >> 8) & 0xff } else { code = 128 + (status & 0x7f) }
        exitStatus = code
        return code
    }

    /// Polls until the process exits; returns its status, or nil on timeout.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let code = exited { return code }
            usleep(5_000)
        }
        return exited
    }

    /// Polls asynchronously until the process exits.
    @discardableResult
    public func exit(timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let code = exited { return code }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exited
    }

    /// SIGTERM, then SIGKILL if it has not gone within `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        if await exit(timeout: grace) == nil {
            signal(SIGKILL)
            await exit(timeout: .seconds(5))
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which its headers declare only under `_GNU_SOURCE`,
/// so Swift does not see it: looked up at run time.
private func closeFrom(_ lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
}
