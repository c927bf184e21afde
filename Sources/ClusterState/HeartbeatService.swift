#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// Writes `servers:{node_id}:heartbeat` = unix seconds, with a TTL, every interval (PROTOCOL.md §2: TTL 30 s,
/// every 10 s by default), for as long as it runs in a `ServiceGroup`.
///
/// It stops on graceful shutdown or cancellation. It never stops because Redis is unreachable: a failed beat is
/// logged (a warning the first time, then at debug level until a beat succeeds again) and retried at the next tick.
/// It does not delete the key when it stops: the node does that when it has deregistered its users
/// (`ClusterRegistry.removeHeartbeat`).
public final class HeartbeatService: Service, Sendable {
    /// What one beat did.
    public enum Beat: Sendable, Equatable {
        /// Written. `previous == nil` after earlier successful beats means the key had vanished (expired or swept):
        /// the node should re-register, as after a Redis restart.
        case written(HeartbeatWrite)
        case failed(RedisError)
    }

    public struct Status: Sendable, Equatable {
        /// The unix time written by the last successful beat.
        public var lastWritten: Int64?
        public var successfulBeats = 0
        public var consecutiveFailures = 0
        public var lastError: RedisError?
    }

    public let nodeID: String
    public let interval: Duration
    public let ttl: Duration
    /// A beat that has no answer within this long counts as failed, and the loop moves on: the heartbeat never
    /// stalls behind one stuck request, whatever the executor's own timeouts.
    public let beatTimeout: Duration
    private let registry: ClusterRegistry
    private let logger: Logger
    private let onBeat: (@Sendable (Beat) -> Void)?
    private let shouldBeat: (@Sendable () -> Bool)?
    private let state = Mutex(State())

    private struct State {
        var wake: AsyncStream<Void>.Continuation?
        var status = Status()
    }

    /// - Parameters:
    ///   - shouldBeat: asked before each periodic beat; false skips it. A heartbeat tells other nodes "my users are
    ///     registered", so a node whose registration is not (yet) intact must not write one.
    ///   - onBeat: called after every beat, on the service's task (keep it short).
    public init(nodeID: String, redis: any RedisCommandExecutor, interval: Duration = .seconds(10), ttl: Duration = .seconds(30),
                beatTimeout: Duration = .seconds(5), logger: Logger, shouldBeat: (@Sendable () -> Bool)? = nil,
                onBeat: (@Sendable (Beat) -> Void)? = nil) {
        self.nodeID = nodeID
        self.registry = ClusterRegistry(redis: redis, logger: logger)
        self.interval = interval
        self.ttl = ttl
        self.beatTimeout = beatTimeout
        self.logger = logger
        self.onBeat = onBeat
        self.shouldBeat = shouldBeat
    }

    public var status: Status { state.withLock { $0.status } }

    /// Beats at once, then every `interval`, until graceful shutdown or cancellation.
    public func run() async throws {
        let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.wake = tick }
        defer {
            state.withLock { $0.wake = nil }
            tick.finish()
        }
        tick.yield()
        let interval = interval
        logger.debug("heartbeat started", metadata: ["node.id": "\(nodeID)"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        tick.yield()
                    }
                }
                // Ends when the task is cancelled (graceful shutdown cancels it).
                for await _ in ticks where self.shouldBeat?() ?? true { await self.beat() }
                group.cancelAll()
            }
        }
        logger.debug("heartbeat stopped", metadata: ["node.id": "\(nodeID)"])
    }

    /// Asks the running service to beat now, without waiting for the next tick (coalesced with a pending tick).
    /// Does nothing when the service is not running; use `beat()` to write once directly.
    public func beatNow() {
        _ = state.withLock { $0.wake }?.yield()
    }

    /// Writes the heartbeat once, now, and reports what happened. Never throws: a failure is logged and returned.
    @discardableResult
    public func beat() async -> Beat {
        let now = Int64(Date().timeIntervalSince1970)
        let result: Beat
        do {
            let (registry, nodeID, ttl) = (registry, nodeID, ttl)
            let write = try await withDeadline(beatTimeout) { () async throws(RedisError) in
                try await registry.writeHeartbeat(node: nodeID, ttl: ttl, now: now)
            }
            let failures = state.withLock { state -> Int in
                defer {
                    state.status.consecutiveFailures = 0
                    state.status.successfulBeats += 1
                    state.status.lastWritten = now
                    state.status.lastError = nil
                }
                return state.status.consecutiveFailures
            }
            if failures > 0 {
                logger.info("heartbeat restored", metadata: ["node.id": "\(nodeID)", "heartbeat.failures": "\(failures)"])
            }
            result = .written(write)
        } catch {
            let failures = state.withLock { state -> Int in
                state.status.consecutiveFailures += 1
                state.status.lastError = error
                return state.status.consecutiveFailures
            }
            let metadata: Logger.Metadata = ["node.id": "\(nodeID)", "error": "\(error)", "heartbeat.failures": "\(failures)"]
            if failures == 1 {
                logger.warning("heartbeat failed", metadata: metadata)
            } else {
                logger.debug("heartbeat failed", metadata: metadata)
            }
            result = .failed(error)
        }
        onBeat?(result)
        return result
    }
}

/// Runs `operation`, giving up with `RedisError.timeout` after `limit` (or `.closed` when the caller is cancelled)
/// even if the operation never returns. The operation runs in an unstructured task so that a request that never
/// completes cannot hold the caller; such a task is abandoned, not awaited.
func withDeadline<T: Sendable>(_ limit: Duration,
                               _ operation: @escaping @Sendable () async throws(RedisError) -> T) async throws(RedisError) -> T {
    let race = DeadlineRace<T>()
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, RedisError>, Never>) in
            race.start(continuation, limit: limit, operation)
        }
    } onCancel: {
        race.complete(.failure(.closed))
    }
    race.cancelTimer()
    return try result.get()
}

/// The first of operation, timer and cancellation to finish resumes the waiter; the others find it gone.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let waiter = Mutex<CheckedContinuation<Result<T, RedisError>, Never>?>(nil)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    func start(_ continuation: CheckedContinuation<Result<T, RedisError>, Never>, limit: Duration,
               _ operation: @escaping @Sendable () async throws(RedisError) -> T) {
        waiter.withLock { $0 = continuation }
        Task {
            do throws(RedisError) { self.complete(.success(try await operation())) } catch { self.complete(.failure(error)) }
        }
        let sleeper = Task {
            try? await Task.sleep(for: limit)
            self.complete(.failure(.timeout))
        }
        timer.withLock { $0 = sleeper }
    }

    func complete(_ result: Result<T, RedisError>) {
        let continuation = waiter.withLock { waiter -> CheckedContinuation<Result<T, RedisError>, Never>? in
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume(returning: result)
    }

    func cancelTimer() {
        timer.withLock { $0 }?.cancel()
    }
}
