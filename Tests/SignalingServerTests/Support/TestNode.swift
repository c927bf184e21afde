import Foundation
import Logging
import Synchronization
import SignalingServer
import TestSupport

/// An in-process node on a free loopback port, for one test.
struct TestNode: Sendable {
    let server: SignalingServer
    let port: Int

    var node: SignalingNode { server.node }
    var url: String { "ws://127.0.0.1:\(port)/ws" }

    /// A configuration for tests: loopback, quick shutdown, generous rate limit unless a test lowers it.
    static func configuration(_ configure: (inout NodeConfiguration) -> Void = { _ in }) -> NodeConfiguration {
        var configuration = NodeConfiguration(nodeID: "test-node")
        configuration.logLevel = testLogLevel ?? .critical
        configuration.bindAddress = "127.0.0.1"
        configuration.shutdownTimeout = .seconds(2)
        configuration.closeHandshakeTimeout = .seconds(2)
        configure(&configuration)
        return configuration
    }

    func client(reads: Bool = true) async throws -> SignalClient {
        SignalClient(try await TestWebSocketClient.connect(url: url, reads: reads))
    }

    func health() async throws -> String {
        let response = try await httpGet(port: port, path: "/health")
        guard response.status == 200 else { throw TestSupportError("/health answered \(response.status)") }
        return response.body
    }

    func metrics() async throws -> String {
        try await httpGet(port: port, path: "/metrics").body
    }
}

/// Silent, unless `SIGCTL_TEST_LOG` names a level (e.g. `debug`): then the nodes log to stderr.
let testLogLevel: Logger.Level? = ProcessInfo.processInfo.environment["SIGCTL_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) }

let testLogger: Logger = {
    if let testLogLevel {
        var logger = Logger(label: "test", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = testLogLevel
        return logger
    }
    return Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}()

/// Runs `body` against a fresh node and shuts the node down afterwards, whatever `body` does.
func withNode<T: Sendable>(
    _ configure: (inout NodeConfiguration) -> Void = { _ in },
    _ body: (TestNode) async throws -> T
) async throws -> T {
    var lastError: (any Error)?
    for _ in 0..<5 {
        var configuration = TestNode.configuration(configure)
        configuration.port = freeLoopbackPort()
        let server = await buildApplication(configuration, logger: testLogger)
        let ended = ServerEnd()
        let outcome: Result<T, any Error>? = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await server.run()
                    ended.record(nil)
                } catch {
                    ended.record("\(error)")
                }
            }
            // Wait until it listens, or learn that it could not bind (another process took the port).
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while server.port == nil {
                if let failure = ended.outcome {
                    lastError = TestSupportError(failure ?? "node stopped before listening")
                    return nil
                }
                if clock.now > deadline { throw TestSupportError("node did not start listening") }
                try await Task.sleep(for: .milliseconds(5))
            }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(TestNode(server: server, port: server.port!)))
            } catch {
                outcome = .failure(error)
            }
            await server.shutdown()
            try await group.waitForAll()
            return outcome
        }
        if let outcome { return try outcome.get() }
    }
    throw lastError ?? TestSupportError("cannot start a node")
}

/// How the server task ended, if it has: nil inside means it returned normally.
private final class ServerEnd: Sendable {
    private let value = Mutex<String??>(nil)
    func record(_ error: String?) { value.withLock { $0 = .some(error) } }
    var outcome: String?? { value.withLock { $0 } }
}
