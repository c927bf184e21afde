import ClusterState
import Logging

/// Everything a node needs to run, already parsed and validated.
///
/// Built by `NodeConfiguration.load(...)` from flags, environment and `.env` (PROTOCOL.md §4), or directly by tests
/// that start nodes in-process.
public struct NodeConfiguration: Sendable {
    /// The schema's own routing type (ClusterState), so the setting and the relay agree by construction.
    public typealias SignalRouting = ClusterState.SignalRouting

    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        case json
    }

    public var port: Int = 9000
    public var bindAddress: String = "0.0.0.0"
    public var nodeID: String
    public var clusterMode: Bool = false
    /// Kept as text: the cluster layer parses it with `RedisConfiguration(url:)`, which the loader already ran once.
    public var redisURL: String = "redis://127.0.0.1:6379"
    public var signalRouting: SignalRouting = .direct
    public var heartbeatInterval: Duration = .seconds(10)
    public var heartbeatTTL: Duration = .seconds(30)
    /// Nil: authentication off. Never empty (an empty secret means off).
    public var jwtSecret: String?
    public var maxConnections: Int = 50_000
    /// Sustained messages per second per connection.
    public var rateLimit: Double = 50
    /// Token bucket size: how many messages a connection may send at once after being quiet.
    public var rateLimitBurst: Int = 100
    /// Messages waiting in one client's outbox between two writes of its event loop before it counts as a slow
    /// consumer and is disconnected.
    public var outboundQueueLimit: Int = 256
    /// Bytes one client may leave unwritten before it counts as a slow consumer (a few maximum-size SDPs): the
    /// channel's write-buffer high water mark, and the outbox's bound.
    public var outboundQueueBytes: Int = 2 << 20
    /// The largest client message, in bytes after reassembly. The contract fixes 64 KiB; tests may lower it.
    public var maxMessageBytes: Int = 65_536
    /// How long graceful shutdown waits for clients to take their close frames before cutting them off.
    public var shutdownTimeout: Duration = .seconds(5)
    /// How long the WebSocket layer waits for a client's reply to our close frame.
    public var closeHandshakeTimeout: Duration = .seconds(2)
    /// WebSocket ping period; a client that does not answer is dropped. Nil: no pings.
    public var pingInterval: Duration? = .seconds(30)
    /// Event-loop threads, which also run the node's tasks (`EventLoopExecutor`). Nil: one per CPU core.
    public var eventLoopThreads: Int?
    /// Events the cluster subscription holds for the node before it drops the newest (each drop is counted, and
    /// makes the node reconcile its rooms). Not an operator setting: tests lower it.
    public var subscriptionBufferLimit: Int = 100_000
    /// User ids leased from `users:next_id` per `INCRBY`; a new block is leased when fewer than a quarter remain.
    /// Not an operator setting: tests lower it.
    public var userIDBlockSize: Int = 1000
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// Whether `/` serves the demo call page (`DemoController`); off, `/` is not routed.
    public var demo: Bool = true

    /// Defaults everywhere, with a generated node id.
    public init(nodeID: String = NodeID.generate()) {
        self.nodeID = nodeID
    }

    /// Whether `Join` must carry a token.
    public var authenticationEnabled: Bool { jwtSecret != nil }

    /// Frames may exceed the message limit by this much so that a slightly oversized message still reaches the
    /// node, which answers `too_large` before closing with 1009; bigger frames are refused by the WebSocket layer
    /// itself (close 1009 without the `Error`), so a client cannot make the node buffer more than this.
    public var maxFrameSize: Int { maxMessageBytes + 4096 }
}
