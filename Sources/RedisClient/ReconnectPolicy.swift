/// How a client comes back after losing Redis: capped exponential backoff with jitter, and how long
/// a new command may wait for the connection to return before it fails.
public struct ReconnectPolicy: Sendable, Equatable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// nil: commands sent while disconnected fail at once with `notConnected` (fail fast).
    public var commandWait: Duration?

    public init(initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(2), commandWait: Duration? = .seconds(2)) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.commandWait = commandWait
    }

    /// The delay before attempt `n` (0-based): doubling from `initialDelay`, capped, with ±20 % jitter so
    /// that many nodes losing the same Redis do not reconnect in lock-step.
    public func delay(attempt: Int) -> Duration {
        let base = initialDelay * (1 << min(attempt, 20))
        let capped = min(base, maximumDelay)
        return capped * Double.random(in: 0.8...1.2)
    }
}

/// What a reconnecting client is doing now.
public enum RedisConnectionState: Sendable, Equatable {
    case connecting
    case connected
    /// Lost or never reached; `attempt` counts failures since the last success.
    case reconnecting(attempt: Int, lastError: RedisError)
    case closed

    public var isConnected: Bool { self == .connected }
}

/// The loop shared by `RedisClient` and `RedisSubscriber`: connect, hand the connection over, wait
/// until it closes, back off, repeat — until the task is cancelled.
func maintainConnection(
    configuration: RedisConfiguration,
    policy: ReconnectPolicy,
    connect: @Sendable () async throws(RedisError) -> RedisConnection,
    stateChanged: @Sendable (RedisConnectionState) -> Void,
    connected: @Sendable (RedisConnection) async throws(RedisError) -> Void
) async {
    var attempt = 0
    stateChanged(.connecting)
    while !Task.isCancelled {
        do throws(RedisError) {
            let connection = try await connect()
            do throws(RedisError) {
                try await connected(connection)
            } catch {
                connection.close()
                throw error
            }
            attempt = 0
            stateChanged(.connected)
            await withTaskCancellationHandler {
                await connection.waitUntilClosed()
            } onCancel: {
                connection.close()
            }
            if Task.isCancelled { break }
            stateChanged(.reconnecting(attempt: 0, lastError: .connectionLost))
        } catch {
            attempt += 1
            stateChanged(.reconnecting(attempt: attempt, lastError: error))
            do { try await Task.sleep(for: policy.delay(attempt: attempt - 1)) } catch { break }
        }
    }
    stateChanged(.closed)
}
