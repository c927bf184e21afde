import Metrics
import Prometheus
import SignalingProtocol
import Synchronization

/// The node's metrics, made once per node from its own Prometheus registry.
///
/// Per node rather than through `MetricsSystem.bootstrap`: the global can be set once per process, and tests run
/// several nodes in one process, each of which must report only its own numbers on `/metrics`.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let connections: Metrics.Meter
    let rooms: Metrics.Meter
    private let messagesIn: [Metrics.Counter]
    private let messagesOut: [Metrics.Counter]
    private let errors: [ErrorCode: Metrics.Counter]
    let relayLatency: Metrics.Timer
    let rateLimitDisconnects: Metrics.Counter
    let slowConsumerDisconnects: Metrics.Counter
    let connectionsRejected: Metrics.Counter
    let oversizedDisconnects: Metrics.Counter
    let replacedConnections: Metrics.Counter
    let unregisteredMembers: Metrics.Meter
    private let subscriptionDroppedEvents: Metrics.Counter
    /// The drop count already added to `subscriptionDroppedEvents`.
    private let reportedDroppedEvents = Mutex(0)
    /// The Redis server addresses reported so far (`sigctl_redis_server`): the current one is 1, older ones 0.
    let redisAddresses = Mutex<Set<String>>([])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Same-node relays take tens of microseconds; the default buckets start at 5 ms.
        factory.durationHistogramBuckets[MetricNames.relayLatency] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        connections = Metrics.Meter(label: MetricNames.connections, factory: factory)
        rooms = Metrics.Meter(label: MetricNames.rooms, factory: factory)
        messagesIn = ClientMessageKind.allCases.map {
            Metrics.Counter(label: MetricNames.messagesIn, dimensions: [(MetricNames.typeLabel, $0.typeName)], factory: factory)
        }
        messagesOut = ServerMessageKind.allCases.map {
            Metrics.Counter(label: MetricNames.messagesOut, dimensions: [(MetricNames.typeLabel, $0.typeName)], factory: factory)
        }
        var errors: [ErrorCode: Metrics.Counter] = [:]
        for code in ErrorCode.allCases {
            errors[code] = Metrics.Counter(
                label: MetricNames.errors, dimensions: [(MetricNames.codeLabel, code.rawValue)], factory: factory)
        }
        self.errors = errors
        relayLatency = Metrics.Timer(label: MetricNames.relayLatency, factory: factory)
        rateLimitDisconnects = Metrics.Counter(label: MetricNames.rateLimitDisconnects, factory: factory)
        slowConsumerDisconnects = Metrics.Counter(label: MetricNames.slowConsumerDisconnects, factory: factory)
        connectionsRejected = Metrics.Counter(label: MetricNames.connectionsRejected, factory: factory)
        oversizedDisconnects = Metrics.Counter(label: MetricNames.oversizedDisconnects, factory: factory)
        replacedConnections = Metrics.Counter(label: MetricNames.replacedConnections, factory: factory)
        unregisteredMembers = Metrics.Meter(label: MetricNames.unregisteredMembers, factory: factory)
        subscriptionDroppedEvents = Metrics.Counter(label: MetricNames.subscriptionDroppedEvents, factory: factory)
        connections.set(0)
        rooms.set(0)
        unregisteredMembers.set(0)
    }

    func received(_ kind: ClientMessageKind) { messagesIn[Int(kind.rawValue)].increment() }
    func sent(_ kind: ServerMessageKind) { messagesOut[Int(kind.rawValue)].increment() }
    func error(_ code: ErrorCode) { errors[code]?.increment() }

    /// Brings the dropped-events counter up to `total`, the subscriber's own count (read at scrape time).
    func reportDroppedEvents(total: Int) {
        let increase = reportedDroppedEvents.withLock { reported -> Int in
            defer { reported = max(reported, total) }
            return max(0, total - reported)
        }
        if increase > 0 { subscriptionDroppedEvents.increment(by: Int64(increase)) }
    }

    /// Prometheus text exposition format.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
