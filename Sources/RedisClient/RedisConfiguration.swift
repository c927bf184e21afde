/// Where Redis is and how to talk to it, usually parsed from a URL.
public struct RedisConfiguration: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int
    /// Bounds the whole handshake: TCP connect, AUTH, SELECT.
    public var connectTimeout: Duration
    /// A reply overdue by this much closes the connection (every request behind it fails); nil waits forever.
    public var commandTimeout: Duration?
    /// TLS to the server (`rediss://`); nil: plain TCP.
    public var tls: RedisTLSOptions?
    /// Set for `redis+sentinel://`: `address` is then unused, the master is found through these Sentinels.
    public var sentinel: RedisSentinelOptions?

    public init(
        address: Address, username: String? = nil, password: String? = nil, database: Int = 0,
        connectTimeout: Duration = .seconds(5), commandTimeout: Duration? = .seconds(10)
    ) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS), `unix:///path/to/redis.sock[?db=N]`,
    /// and `redis+sentinel://[[user]:password@]host1[:26379][,host2[:26379]…]/mastername[?db=N]` (`rediss+sentinel://`:
    /// TLS to the Sentinels and the master). Query parameters: `db`, `sentinel_username`, `sentinel_password`,
    /// `tls_ca_file`, `tls_cert_file`, `tls_key_file`, `tls_server_name` (see `RedisURL`).
    public init(url: String) throws(RedisError) {
        self = try RedisURL.parse(url)
    }

    /// The URL with the password replaced by `***`, for messages and logs.
    public var redactedURL: String {
        var auth = ""
        if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
        let scheme = tls == nil ? "redis" : "rediss"
        if let sentinel {
            let hosts = sentinel.sentinels.map(\.description).joined(separator: ",")
            return "\(scheme)+sentinel://\(auth)\(hosts)/\(sentinel.masterName)" + (database != 0 ? "?db=\(database)" : "")
        }
        switch address {
        case .unix(let path):
            return "unix://\(path)" + (database != 0 ? "?db=\(database)" : "")
        case .tcp(let host, let port):
            return "\(scheme)://\(auth)\(RedisServerAddress(host: host, port: port))" + (database != 0 ? "/\(database)" : "")
        }
    }

    /// `host:port` or the socket path, for errors about reaching the server.
    public var addressDescription: String {
        if let sentinel {
            return "master '\(sentinel.masterName)' via Sentinels " + sentinel.sentinels.map(\.description).joined(separator: ",")
        }
        switch address {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Masks the password of a URL that could not even be parsed, so that errors never print a secret.
    public static func redact(_ url: String) -> String {
        var rest = Substring(url)
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            // `sentinel_password=…` is a secret too.
            query = "?" + rest[rest.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                pair.hasPrefix("sentinel_password=") ? "sentinel_password=***" : String(pair)
            }.joined(separator: "&")
            rest = rest[..<q]
        }
        let parts = rest.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let at = parts[1].lastIndex(of: "@") else { return rest + query }
        let userinfo = parts[1][..<at]
        let scheme = parts[0] + "://"
        if let colon = userinfo.firstIndex(of: ":") {
            return scheme + userinfo[..<colon] + ":***" + parts[1][at...] + query
        }
        return scheme + "***" + parts[1][at...] + query
    }

    static func percentDecode(_ s: String) throws(RedisError) -> String {
        guard s.contains("%") else { return s }
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw .invalidURL("bad percent-escape in credentials")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
