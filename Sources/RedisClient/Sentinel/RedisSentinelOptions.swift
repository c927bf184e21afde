/// How to find the master through Redis Sentinel (`redis+sentinel://`).
public struct RedisSentinelOptions: Sendable, Hashable {
    /// The Sentinels named in the URL; those learned later (`SENTINEL sentinels`) are kept by `SentinelDirectory`.
    public var sentinels: [RedisServerAddress]
    public var masterName: String
    /// Credentials for the Sentinels themselves (`sentinel_username`, `sentinel_password`), when they require AUTH.
    public var username: String?
    public var password: String?
    /// Bounds each Sentinel's connect and each query to it: one that does not answer is skipped quickly.
    public var timeout: Duration = .milliseconds(500)
    /// Whether connections follow a failover as soon as a Sentinel announces it (`+switch-master`, and a re-check
    /// every `recheckInterval`) rather than only when the old master fails them (READONLY, a dropped connection).
    public var followSwitches = true
    public var recheckInterval: Duration = .seconds(1)

    public init(sentinels: [RedisServerAddress], masterName: String, username: String? = nil, password: String? = nil) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.username = username
        self.password = password
    }
}
