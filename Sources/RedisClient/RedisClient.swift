import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A Redis client that keeps one pipelined connection alive for as long as `run()` runs.
///
/// Commands in flight when the connection drops fail with `connectionLost` (they may or may not
/// have run, so the caller decides whether to retry). Commands sent while reconnecting wait up to
/// `policy.commandWait` for the connection to come back, or fail at once with `notConnected`.
///
/// ```swift
/// let client = RedisClient(configuration: try RedisConfiguration(url: url))
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await client.run() }
///     try await client.send("SET", "k", "v")
///     group.cancelAll()
/// }
/// ```
public final class RedisClient: RedisCommandExecutor, Sendable {
    public let configuration: RedisConfiguration
    public let policy: ReconnectPolicy
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let box = NIOLockedValueBox(Inner())

    private struct Inner {
        var connection: RedisConnection?
        var state: RedisConnectionState = .connecting
        var waiters: [UInt64: CheckedContinuation<RedisConnection, any Error>] = [:]
        var nextWaiter: UInt64 = 0
        var observers: [UInt64: AsyncStream<RedisConnectionState>.Continuation] = [:]
        var server = RedisServerStatus()
    }

    public init(
        configuration: RedisConfiguration,
        policy: ReconnectPolicy = ReconnectPolicy(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sigctl.redis")
    ) {
        self.configuration = configuration
        self.policy = policy
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Keeps the connection alive until the calling task is cancelled.
    public func run() async {
        let configuration = configuration
        let group = eventLoopGroup
        let logger = logger
        await maintainConnection(
            configuration: configuration,
            policy: policy,
            connect: { () throws(RedisError) in
                try await RedisConnection.connect(configuration, eventLoopGroup: group, logger: logger)
            },
            stateChanged: { [self] state in self.setState(state) },
            connected: { [self] connection in self.adopt(connection) }
        )
        let (waiters, observers) = box.withLockedValue { inner in
            inner.connection = nil
            defer {
                inner.waiters = [:]
                inner.observers = [:]
            }
            return (inner.waiters, inner.observers)
        }
        // Outside the lock: finishing a stream runs its termination handler at once, and that handler takes the
        // lock (a recursive lock is a crash).
        for (_, waiter) in waiters { waiter.resume(throwing: RedisError.closed) }
        for (_, observer) in observers { observer.finish() }
    }

    public var state: RedisConnectionState { box.withLockedValue { $0.state } }

    /// The current state, then every change, until `run()` ends.
    public func stateUpdates() -> AsyncStream<RedisConnectionState> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisConnectionState.self, bufferingPolicy: .bufferingNewest(16))
        let id: UInt64? = box.withLockedValue { inner in
            if inner.state == .closed { return nil }
            let id = inner.nextWaiter
            inner.nextWaiter += 1
            inner.observers[id] = continuation
            continuation.yield(inner.state)
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.box.withLockedValue { $0.observers.removeValue(forKey: id) }
            }
        } else {
            continuation.yield(.closed)
            continuation.finish()
        }
        return stream
    }

    /// Which server the client talks to (for a Sentinel URL: the master it found) and when that last changed.
    public var server: RedisServerStatus { box.withLockedValue { $0.server } }

    private func adopt(_ connection: RedisConnection) {
        let (waiters, switched) = box.withLockedValue { inner in
            let switched = inner.server.connected(to: connection.serverAddress)
            inner.connection = connection
            let w = inner.waiters
            inner.waiters = [:]
            return (w, switched)
        }
        if let switched {
            logger.notice("redis server changed", metadata: ["redis.server.old": "\(switched)", "redis.server": "\(connection.serverAddress)"])
        }
        for (_, waiter) in waiters { waiter.resume(returning: connection) }
    }

    private func setState(_ state: RedisConnectionState) {
        box.withLockedValue { inner in
            if state != .connected { inner.connection = nil }
            guard inner.state != state else { return }
            inner.state = state
            for (_, observer) in inner.observers { observer.yield(state) }
        }
        switch state {
        case .connected: logger.info("redis connected", metadata: ["redis.url": "\(configuration.redactedURL)"])
        case .reconnecting(let attempt, let error) where attempt <= 1:
            logger.warning("redis unavailable", metadata: ["redis.url": "\(configuration.redactedURL)", "error": "\(error)"])
        default: break
        }
    }

    /// The live connection if there is one now, without waiting: for callers on an event loop.
    public var liveConnection: RedisConnection? {
        let current = box.withLockedValue { $0.connection }
        guard let current, current.isActive else { return nil }
        return current
    }

    /// The live connection, waiting for it (bounded by the policy) while reconnecting.
    public func connection() async throws(RedisError) -> RedisConnection {
        let (current, closed) = box.withLockedValue { ($0.connection, $0.state == .closed) }
        if let current, current.isActive { return current }
        if closed { throw .closed }
        guard let wait = policy.commandWait else { throw .notConnected }
        do {
            return try await withThrowingTaskGroup(of: RedisConnection.self) { group in
                group.addTask { try await self.nextConnection() }
                group.addTask {
                    try await Task.sleep(for: wait)
                    throw RedisError.notConnected
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .notConnected
        }
    }

    private func nextConnection() async throws -> RedisConnection {
        let id = box.withLockedValue { inner in
            defer { inner.nextWaiter += 1 }
            return inner.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Error>) in
                let ready: RedisConnection?? = box.withLockedValue { inner in
                    if inner.state == .closed { return .some(nil) }
                    if let c = inner.connection, c.isActive { return .some(c) }
                    if Task.isCancelled { return .some(nil) }
                    inner.waiters[id] = continuation
                    return .none
                }
                switch ready {
                case .some(.some(let c)): continuation.resume(returning: c)
                case .some(.none): continuation.resume(throwing: RedisError.notConnected)
                case .none: break
                }
            }
        } onCancel: {
            let waiter = box.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    public func sendRaw(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        try await connection().sendRaw(command)
    }

    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
        try await connection().pipeline(commands)
    }
}
