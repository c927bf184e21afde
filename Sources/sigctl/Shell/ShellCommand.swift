import ArgumentParser
import Dispatch
import Foundation
import RedisClient

/// `sigctl` with no arguments, or `sigctl shell`: an interactive prompt where every command works
/// as on the command line, with history and completion of commands, options and live ids.
struct ShellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Open an interactive shell (the default when sigctl runs without arguments).",
        discussion: """
            History is kept in ~/.sigctl_history. TAB completes commands, options, room ids and node ids. \
            Ctrl-C stops a running command (such as tail); Ctrl-D or `exit` leaves the shell.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let url = global.resolvedRedisURL()
        // Commands run inside the shell resolve the URL flag > environment: make the shell's URL theirs.
        setenv("REDIS_URL", url, 1)
        let shown = (try? RedisConfiguration(url: url).redactedURL) ?? RedisConfiguration.redact(url)
        let session = ShellSession(redisURL: url)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let editor = LineEditor(historyFile: home + "/.sigctl_history", completer: session.complete)
        let interrupts = InterruptForwarder()

        if isatty(STDIN_FILENO) != 0 && !global.quiet {
            print("sigctl shell on \(shown). Type help for commands, exit or Ctrl-D to leave.")
        }
        while true {
            await session.refreshIds()
            guard let line = await editor.readLine(prompt: "sigctl \(shown)> ") else {
                if isatty(STDIN_FILENO) != 0 { print("") }  // Ctrl-D prints no newline of its own
                return
            }
            let split = CommandLineSplitter.split(line)
            var words = split.words
            guard !words.isEmpty else { continue }
            editor.addHistory(line)
            if split.unterminatedQuote {
                printError("unterminated quote")
                continue
            }
            if words.first == "sigctl" { words.removeFirst() }
            switch words.first {
            case "exit", "quit": return
            case "help", "?":
                print(Sigctl.helpMessage(for: Sigctl.self))
                print("Shell: help, exit (or Ctrl-D); Ctrl-C stops a running command.")
                continue
            case "shell":
                printError("already in the shell")
                continue
            default: break
            }
            let command = words
            await interrupts.run { await runOne(command) }
        }
    }

    /// Parses and runs one command line, printing errors instead of exiting the shell.
    private func runOne(_ words: [String]) async {
        do {
            var command = try Sigctl.parseAsRoot(words)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch is CancellationError {
            // Ctrl-C: back to the prompt.
        } catch let exit as ExitCode {
            _ = exit  // the command already printed its message
        } catch {
            let message = Sigctl.fullMessage(for: error)
            if !message.isEmpty {
                if Sigctl.exitCode(for: error) == .success { print(message) } else { printError(message) }
            }
        }
    }
}

/// Turns Ctrl-C into cancellation of the command that is running, instead of ending the shell.
final class InterruptForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Task<Void, Never>?
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.withLock { self.current }?.cancel()
        }
        source.resume()
    }

    func run(_ body: @escaping @Sendable () async -> Void) async {
        let task = Task { await body() }
        lock.withLock { current = task }
        await task.value
        lock.withLock { current = nil }
    }
}
