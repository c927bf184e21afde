/// Polls `condition` every `interval` until it holds. Throws, naming `what`, the time limit and the caller, when it
/// still does not hold after `timeout`; an error thrown by `condition` ends the wait at once.
///
/// The limit is a bound for a failing test, not a pace: a passing test returns as soon as the condition holds, so a
/// generous limit costs nothing on a fast machine and keeps a loaded one from failing spuriously.
public func eventually(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(20),
    fileID: String = #fileID, line: Int = #line,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        guard clock.now < deadline else {
            throw TestSupportError("\(fileID):\(line): timed out after \(timeout) waiting for \(what)")
        }
        try await Task.sleep(for: interval)
    }
}
