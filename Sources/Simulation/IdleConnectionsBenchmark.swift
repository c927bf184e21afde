import Foundation
import Logging
import SignalingProtocol
import Synchronization

/// Many idle clients on one node, each joined to a small room, held open for a while so that the node's memory can
/// be measured from outside (`scripts/bench-local-idle.sh` reads the node's VmRSS). Several processes can share the
/// load (one descriptor per connection on each side): `firstIndex` keeps their rooms apart.
public enum IdleConnectionsBenchmark {
    public struct Options: Sendable {
        public var url: String
        public var connections = 10_000
        /// Members per room (2: one call each); 0 connects without joining.
        public var roomSize = 2
        /// Connections opened at once.
        public var concurrency = 200
        /// How long to hold them all once they are joined.
        public var hold: Duration = .seconds(10)
        /// The index of this process's first client, for room names.
        public var firstIndex = 0

        public init(url: String) {
            self.url = url
        }
    }

    public struct Report: Sendable, CustomStringConvertible, Encodable {
        public var connections: Int
        public var connectSeconds: Double

        private enum CodingKeys: String, CodingKey {
            case connections, connectSeconds = "connect_seconds"
        }

        public var description: String {
            "connections: \(connections) opened and joined in \(String(format: "%.1f", connectSeconds)) s"
        }
    }

    /// Connects and joins every client, calls `ready`, holds them for `options.hold`, then closes them.
    public static func run(
        _ options: Options, logger: Logger, ready: @Sendable (Report) -> Void = { _ in }
    ) async throws -> Report {
        let clients = (0..<options.connections).map { BenchmarkClient(index: options.firstIndex + $0) }
        let clock = ContinuousClock()
        let start = clock.now
        let joined = Mutex(0)
        let handler: BenchmarkClient.Handler = { message, _ in
            if case .roomJoined = message { joined.withLock { $0 += 1 } }
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            var opened = 0
            while opened < clients.count {
                let batch = clients[opened..<min(opened + options.concurrency, clients.count)]
                for client in batch {
                    group.addTask { try await client.run(url: options.url, logger: logger, handler: handler) }
                }
                try await waitUntil(timeout: .seconds(60)) { batch.allSatisfy(\.isConnected) }
                opened += batch.count
                guard options.roomSize > 0 else { continue }
                for client in batch {
                    try await client.send(.join(
                        room: "idle-\(client.index / options.roomSize)", username: "idle-\(client.index)", token: nil))
                }
                let target = opened
                try await waitUntil(timeout: .seconds(60)) { joined.withLock { $0 } >= target }
            }
            let report = Report(connections: clients.count, connectSeconds: (clock.now - start).seconds)
            ready(report)
            try await Task.sleep(for: options.hold)
            for client in clients { await client.close() }
            try await group.waitForAll()
            return report
        }
    }
}
