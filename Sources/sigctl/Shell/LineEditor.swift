@preconcurrency import CLibEdit
import Foundation
@preconcurrency import Glibc

/// The libedit line editor: prompt, history file, tab completion.
///
/// libedit is a C library with global state, so there is exactly one editor per process and its
/// completion callback (a `@convention(c)` function that cannot capture) reads its candidates from
/// `completionState`. `readLine` blocks, so it runs on a thread of its own, never on the
/// cooperative pool or an event loop.
final class LineEditor: @unchecked Sendable {
    let historyFile: String
    private let historyLimit: Int32 = 1000

    /// Called with the words typed before the cursor and the word being completed; returns candidates.
    typealias Completer = @Sendable (_ previous: [String], _ partial: String) -> [String]

    init(historyFile: String, completer: @escaping Completer) {
        self.historyFile = historyFile
        completionState.completer = completer
        rl_readline_name = UnsafePointer(strdup("sigctl"))
        rl_attempted_completion_function = attemptCompletion
        stifle_history(historyLimit)
        // A missing file returns errno (2), not -1: both mean "no history yet".
        _ = read_history(historyFile)
    }

    /// Reads one line; nil on Ctrl-D (end of input).
    func readLine(prompt: String) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let thread = Thread {
                guard let raw = readline(prompt) else {
                    continuation.resume(returning: nil)
                    return
                }
                defer { free(raw) }
                continuation.resume(returning: String(cString: raw))
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func addHistory(_ line: String) {
        add_history(line)
        _ = write_history(historyFile)
    }
}

/// State read by the C completion callback, which cannot capture context.
private struct CompletionState {
    var completer: LineEditor.Completer?
    var candidates: [String] = []
    var index = 0
}
nonisolated(unsafe) private var completionState = CompletionState()

/// libedit's attempted-completion hook: works out the words before the cursor and asks the completer.
private let attemptCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
    rl_attempted_completion_over = 1  // never fall back to file names
    let partial = text.map { String(cString: $0) } ?? ""
    let line = rl_line_buffer.map { String(cString: $0) } ?? ""
    let before = String(line.utf8.prefix(Int(start))) ?? ""
    let previous = CommandLineSplitter.split(before).words
    completionState.candidates = (completionState.completer?(previous, partial) ?? []).filter { $0.hasPrefix(partial) }
    completionState.index = 0
    return rl_completion_matches(text, nextCandidate)
}

private let nextCandidate: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { completionState.index = 0 }
    guard completionState.index < completionState.candidates.count else { return nil }
    defer { completionState.index += 1 }
    return strdup(completionState.candidates[completionState.index])
}
