import RedisClient

extension RedisClusterBridge {
    /// The server of the command connection: a Sentinel failover shows here as a new address and a switch time. The
    /// node follows it exactly as it comes back from a Redis outage (the connections drop, recovery re-registers).
    public var redisServer: RedisServerStatus? { client.server }
}
