/// Every setting the node reads, with its environment name, its command-line flag and its help text, in one place.
///
/// `sigctl serve --help`, the configuration loader and its error messages all come from this table, so a setting
/// cannot be documented under one name and read under another.
public enum Setting: String, CaseIterable, Sendable, CustomStringConvertible {
    case port = "PORT"
    case bindAddress = "BIND_ADDRESS"
    case nodeID = "NODE_ID"
    case clusterMode = "CLUSTER_MODE"
    case redisURL = "REDIS_URL"
    case signalRouting = "SIGNAL_ROUTING"
    case heartbeatInterval = "HEARTBEAT_INTERVAL"
    case heartbeatTTL = "HEARTBEAT_TTL"
    case jwtSecret = "JWT_SECRET"
    case maxConnections = "MAX_CONNECTIONS"
    case rateLimit = "RATE_LIMIT"
    case rateLimitBurst = "RATE_LIMIT_BURST"
    case outboundQueueLimit = "OUTBOUND_QUEUE_LIMIT"
    case outboundQueueBytes = "OUTBOUND_QUEUE_BYTES"
    case pingInterval = "PING_INTERVAL"
    case shutdownTimeout = "SHUTDOWN_TIMEOUT"
    case eventLoopThreads = "EVENT_LOOP_THREADS"
    case logLevel = "LOG_LEVEL"
    case logFormat = "LOG_FORMAT"
    case demo = "DEMO"

    /// The environment variable (and `.env` key).
    public var environmentName: String { rawValue }

    /// The long command-line flag, without dashes.
    public var flag: String {
        switch self {
        case .port: "port"
        case .bindAddress: "bind"
        case .nodeID: "node-id"
        case .clusterMode: "cluster-mode"
        case .redisURL: "redis-url"
        case .signalRouting: "signal-routing"
        case .heartbeatInterval: "heartbeat-interval"
        case .heartbeatTTL: "heartbeat-ttl"
        case .jwtSecret: "jwt-secret"
        case .maxConnections: "max-connections"
        case .rateLimit: "rate-limit"
        case .rateLimitBurst: "rate-limit-burst"
        case .outboundQueueLimit: "outbound-queue-limit"
        case .outboundQueueBytes: "outbound-queue-bytes"
        case .pingInterval: "ping-interval"
        case .shutdownTimeout: "shutdown-timeout"
        case .eventLoopThreads: "event-loop-threads"
        case .logLevel: "log-level"
        case .logFormat: "log-format"
        case .demo: "demo"
        }
    }

    /// "PORT (--port)": how error messages name a setting, so the operator finds it whichever way it was given.
    public var description: String { "\(rawValue) (--\(flag))" }

    /// One help line: what it does, its environment name and its default.
    public var help: String {
        "\(summary) (env \(rawValue); default: \(defaultDescription))"
    }

    var summary: String {
        switch self {
        case .port: "TCP port for HTTP and WebSocket"
        case .bindAddress: "Address to listen on"
        case .nodeID: "This node's id: 1-64 of A-Z a-z 0-9 _ . -"
        case .clusterMode: "Join the cluster through Redis"
        case .redisURL: "Redis for cluster mode: redis://[[user]:password@]host[:port][/db], rediss:// (TLS), redis+sentinel://[[user]:password@]host1:26379,host2:26379/mastername[?db=N]"
        case .signalRouting: "Cross-node signal routing: direct or broadcast"
        case .heartbeatInterval: "How often the node refreshes its heartbeat and sweeps dead nodes (10, 10s, 500ms)"
        case .heartbeatTTL: "How long a heartbeat lives; longer than the interval"
        case .jwtSecret: "HS256 secret for Join tokens, at least 32 bytes; unset or empty turns authentication off"
        case .maxConnections: "Most WebSocket connections at once; more get server_busy and close 1013"
        case .rateLimit: "Messages per second each connection may send, sustained"
        case .rateLimitBurst: "Messages a connection may send in a burst"
        case .outboundQueueLimit: "Messages queued for a client that does not read before it is disconnected"
        case .outboundQueueBytes: "Bytes queued for a client that does not read before it is disconnected"
        case .pingInterval: "WebSocket ping period; a client that does not answer is dropped; 0 turns pings off"
        case .shutdownTimeout: "How long a graceful shutdown waits for clients before closing them"
        case .eventLoopThreads: "Threads for sockets and tasks; 1 avoids cross-thread hand-offs when nodes share a machine"
        case .logLevel: "trace, debug, info, notice, warning, error or critical"
        case .logFormat: "text, or json for one JSON object per line"
        case .demo: "Serve the demo call page at /; --no-demo (DEMO=false) turns it off"
        }
    }

    var defaultDescription: String {
        switch self {
        case .port: "9000"
        case .bindAddress: "0.0.0.0"
        case .nodeID: "host name plus a random suffix"
        case .clusterMode: "false"
        case .redisURL: "redis://127.0.0.1:6379"
        case .signalRouting: "direct"
        case .heartbeatInterval: "10s"
        case .heartbeatTTL: "30s"
        case .jwtSecret: "none"
        case .maxConnections: "50000"
        case .rateLimit: "50"
        case .rateLimitBurst: "100"
        case .outboundQueueLimit: "256"
        case .outboundQueueBytes: "2097152"
        case .pingInterval: "30s"
        case .shutdownTimeout: "5s"
        case .eventLoopThreads: "number of CPU cores"
        case .logLevel: "info"
        case .logFormat: "text"
        case .demo: "true"
        }
    }
}
