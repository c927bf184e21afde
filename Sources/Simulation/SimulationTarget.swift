import Foundation
import Logging
import NIOCore
import NIOPosix
import WSClient

/// Checks a node's WebSocket URL before a run, so that a typo or a node that is down is one sentence naming the URL,
/// not thousands of failed clients or a timeout.
public enum SimulationTarget {
    /// Why `url` cannot be a node's WebSocket endpoint, or nil when its shape is fine.
    public static func problem(with url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            return "'\(url)' is not a URL (expected ws://HOST:PORT/ws)"
        }
        guard scheme == "ws" || scheme == "wss" else {
            return "'\(url)' is not a WebSocket URL: the scheme must be ws or wss (expected ws://HOST:PORT/ws)"
        }
        guard let host = parsed.host, !host.isEmpty else { return "'\(url)' names no host (expected ws://HOST:PORT/ws)" }
        if let port = parsed.port, !(1...65535).contains(port) { return "'\(url)': port \(port) is out of range" }
        return nil
    }

    /// Opens one WebSocket to `url` and closes it; throws a `SimulationError` naming the URL and the cause.
    public static func probe(_ url: String, logger: Logger, timeout: Duration = .seconds(10)) async throws {
        if let problem = problem(with: url) { throw SimulationError(problem) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var configuration = WebSocketClientConfiguration()
                    configuration.autoPing = .disabled
                    configuration.closeTimeout = .seconds(2)
                    try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { _, _, _ in }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw SimulationError("no answer within \(timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw SimulationError("cannot open a WebSocket to \(url): \(describe(error))")
        }
    }

    /// A short, human reason for a connection failure (NIO's own descriptions list every address tried).
    public static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve host \(error.host)" }
            return "cannot connect to \(error.host):\(error.port)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connect timed out" }
        if let error = error as? SimulationError { return error.description }
        if let error = error as? WebSocketClientError {
            if error == .webSocketUpgradeFailed { return "the server did not accept a WebSocket upgrade there (is the path /ws?)" }
            return error.description.lowercased()
        }
        return "\(error)"
    }
}
