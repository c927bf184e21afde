/// Every metric the node exports, by name, in one place. All names carry the `sigctl_` prefix (PROTOCOL.md §3).
public enum MetricNames {
    /// Gauge: open WebSocket connections.
    public static let connections = "sigctl_connections"
    /// Gauge: rooms with at least one member on this node.
    public static let rooms = "sigctl_rooms"
    /// Counter, label `type`: client messages accepted for processing (`Join`, …, `binary`).
    public static let messagesIn = "sigctl_messages_in_total"
    /// Counter, label `type`: messages written to clients (`RoomJoined`, …, `Error`).
    public static let messagesOut = "sigctl_messages_out_total"
    /// Counter, label `code`: `Error` messages sent, by error code.
    public static let errors = "sigctl_errors_total"
    /// Histogram (seconds): from a relayed message's arrival at the node to its write to the target's socket.
    public static let relayLatency = "sigctl_relay_latency_seconds"
    /// Counter: connections closed with 1008 for sustained flooding.
    public static let rateLimitDisconnects = "sigctl_rate_limit_disconnects_total"
    /// Counter: connections cut because their client did not read and its outbound queue filled up.
    public static let slowConsumerDisconnects = "sigctl_slow_consumer_disconnects_total"
    /// Counter: connections refused at the handshake with `server_busy` (close 1013).
    public static let connectionsRejected = "sigctl_connections_rejected_total"
    /// Counter: connections closed with 1009 for an oversized message.
    public static let oversizedDisconnects = "sigctl_oversized_disconnects_total"
    /// Counter: connections closed with 4000 because the same user connected again.
    public static let replacedConnections = "sigctl_replaced_connections_total"
    /// Gauge: local members that other nodes cannot see yet, their cluster registration pending (as `/health`'s
    /// `unregistered_members`).
    public static let unregisteredMembers = "sigctl_cluster_unregistered_members"
    /// Counter: cluster events (membership, signals) the subscription dropped because the node did not read them fast
    /// enough; each drop makes the node reconcile its rooms (as `/health`'s `subscription_dropped_events`).
    public static let subscriptionDroppedEvents = "sigctl_cluster_subscription_dropped_events_total"

    /// Gauge, label `address`: 1 for the Redis server (with Sentinel: the master) the node uses now, 0 for earlier ones.
    public static let redisServer = "sigctl_redis_server"
    /// Gauge: how many times the node moved to another Redis server (a Sentinel failover it followed).
    public static let redisServerSwitches = "sigctl_redis_server_switches"
    /// Gauge: unix time of the last such switch; 0 when there was none.
    public static let redisLastSwitch = "sigctl_redis_last_switch_timestamp_seconds"

    /// Label names.
    public static let typeLabel = "type"
    public static let codeLabel = "code"
    public static let addressLabel = "address"
}
