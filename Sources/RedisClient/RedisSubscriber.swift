import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// One message heard on a subscribed channel or pattern.
public struct PubSubMessage: Sendable, Equatable {
    public var channel: String
    /// The pattern that matched, for PSUBSCRIBE deliveries.
    public var pattern: String?
    public var payload: [UInt8]

    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }
}

/// What a subscriber tells its owner.
public enum SubscriberEvent: Sendable, Equatable {
    case message(PubSubMessage)
    /// Every channel and pattern is subscribed on a fresh connection. After the first one this
    /// means messages published while disconnected were missed: the owner should re-sync its state.
    case subscribed(reconnect: Bool)
    /// The connection dropped; messages are being missed until the next `subscribed`.
    case disconnected(RedisError)
}

/// A pub/sub connection that keeps its subscriptions across reconnects.
///
/// Subscriptions are remembered; on every (re)connect all of them are subscribed again before
/// `.subscribed` is delivered, so no message in `events` is ever from a half-restored state.
public final class RedisSubscriber: Sendable {
    public let configuration: RedisConfiguration
    public let policy: ReconnectPolicy
    /// Messages and connection changes, in order. Bounded: past `bufferLimit` unread events the
    /// newest are dropped and counted in `droppedEvents` rather than growing memory without end.
    /// A drop is a gap the owner must repair: compare `droppedEvents` after reading events.
    public let events: AsyncStream<SubscriberEvent>
    private let continuation: AsyncStream<SubscriberEvent>.Continuation
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let box = NIOLockedValueBox(Inner())
    /// Read after every event by an owner that watches for gaps: an atomic, not the lock.
    private let dropped = Atomic<Int>(0)

    private struct Inner {
        var channels: Set<String> = []
        var patterns: Set<String> = []
        var connection: RedisConnection?
        var connectedOnce = false
        var state: RedisConnectionState = .connecting
        var server = RedisServerStatus()
    }

    public init(
        configuration: RedisConfiguration,
        policy: ReconnectPolicy = ReconnectPolicy(),
        bufferLimit: Int = 100_000,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sigctl.redis.subscriber")
    ) {
        self.configuration = configuration
        self.policy = policy
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: SubscriberEvent.self, bufferingPolicy: .bufferingOldest(bufferLimit))
    }

    public var state: RedisConnectionState { box.withLockedValue { $0.state } }
    /// Events dropped so far because `events` held `bufferLimit` unread ones. Never decreases.
    public var droppedEvents: Int { dropped.load(ordering: .relaxed) }
    /// Which server the subscription is on (for a Sentinel URL: the master it found) and when that last changed.
    public var server: RedisServerStatus { box.withLockedValue { $0.server } }

    /// Maintains the subscription connection until the task is cancelled; then `events` finishes.
    public func run() async {
        let configuration = configuration
        let group = eventLoopGroup
        let logger = logger
        await maintainConnection(
            configuration: configuration,
            policy: policy,
            connect: { [self] () throws(RedisError) in
                try await RedisConnection.connect(
                    configuration, eventLoopGroup: group, logger: logger,
                    onPush: { [weak self] reply in self?.deliver(reply) })
            },
            stateChanged: { [self] state in
                let wasConnected = box.withLockedValue { inner in
                    defer { inner.state = state }
                    if state != .connected { inner.connection = nil }
                    return inner.state == .connected
                }
                if wasConnected, case .reconnecting(_, let error) = state {
                    logger.warning("subscription lost", metadata: ["error": "\(error)"])
                    yield(.disconnected(error))
                }
            },
            connected: { [self] connection throws(RedisError) in try await self.restore(on: connection) }
        )
        continuation.finish()
    }

    private func restore(on connection: RedisConnection) async throws(RedisError) {
        let (channels, patterns) = box.withLockedValue { ($0.channels.sorted(), $0.patterns.sorted()) }
        if !channels.isEmpty {
            _ = try await connection.sendExpecting(RedisCommand("SUBSCRIBE", arguments: channels), replies: channels.count)
        }
        if !patterns.isEmpty {
            _ = try await connection.sendExpecting(RedisCommand("PSUBSCRIBE", arguments: patterns), replies: patterns.count)
        }
        let (reconnect, switched) = box.withLockedValue { inner in
            inner.connection = connection
            defer { inner.connectedOnce = true }
            return (inner.connectedOnce, inner.server.connected(to: connection.serverAddress))
        }
        if reconnect { logger.info("subscription restored", metadata: ["redis.server": "\(connection.serverAddress)"]) }
        if let switched {
            logger.notice("subscription moved to another server", metadata: [
                "redis.server.old": "\(switched)", "redis.server": "\(connection.serverAddress)",
            ])
        }
        yield(.subscribed(reconnect: reconnect))
    }

    public func subscribe(_ channels: [String]) async throws(RedisError) {
        try await change("SUBSCRIBE", channels) { $0.channels.formUnion(channels) }
    }

    public func psubscribe(_ patterns: [String]) async throws(RedisError) {
        try await change("PSUBSCRIBE", patterns) { $0.patterns.formUnion(patterns) }
    }

    public func unsubscribe(_ channels: [String]) async throws(RedisError) {
        try await change("UNSUBSCRIBE", channels) { $0.channels.subtract(channels) }
    }

    public func punsubscribe(_ patterns: [String]) async throws(RedisError) {
        try await change("PUNSUBSCRIBE", patterns) { $0.patterns.subtract(patterns) }
    }

    /// Records the change (it survives reconnects) and, when connected, applies it now and waits
    /// for Redis to confirm. While disconnected it is applied on the next connect.
    private func change(_ verb: String, _ names: [String], _ update: (inout Inner) -> Void) async throws(RedisError) {
        guard !names.isEmpty else { return }
        let connection = box.withLockedValue { inner in
            update(&inner)
            return inner.connection
        }
        guard let connection, connection.isActive else { return }
        _ = try await connection.sendExpecting(RedisCommand(verb, arguments: names), replies: names.count)
    }

    private func deliver(_ reply: RESPValue) {
        guard let items = reply.array else { return }
        let message: PubSubMessage
        if items.count == 3 {
            message = PubSubMessage(channel: items[1].string ?? "", pattern: nil, payload: items[2].bytes ?? [])
        } else if items.count == 4 {
            message = PubSubMessage(channel: items[2].string ?? "", pattern: items[1].string, payload: items[3].bytes ?? [])
        } else {
            return
        }
        yield(.message(message))
    }

    private func yield(_ event: SubscriberEvent) {
        if case .dropped = continuation.yield(event) {
            dropped.add(1, ordering: .relaxed)
        }
    }
}
