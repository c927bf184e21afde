/// The parser behind `RedisConfiguration(url:)`: the four TCP schemes and `unix://`.
///
/// ```
/// redis://[[user]:password@]host[:6379][/db][?query]
/// rediss://[[user]:password@]host[:6379][/db][?query]                       TLS
/// redis+sentinel://[[user]:password@]host1[:26379][,host2[:26379]…]/mastername[?db=N&query]
/// rediss+sentinel://…                                                       TLS to the Sentinels and the master
/// unix:///path/to/redis.sock[?db=N]
/// ```
/// The user and password are the master's (AUTH on the data connection). Sentinels that require their own password
/// take `sentinel_password=…` (and `sentinel_username=…`). TLS takes `tls_ca_file=PEM` (default: the system's trust
/// roots), `tls_cert_file=PEM` and `tls_key_file=PEM` (a client certificate, both or neither) and
/// `tls_server_name=NAME` (the name checked against the certificate and sent as SNI; default: the host).
enum RedisURL {
    static func parse(_ url: String) throws(RedisError) -> RedisConfiguration {
        if url.hasPrefix("unix://") { return try parseUnix(url) }
        let schemes: [(prefix: String, tls: Bool, sentinel: Bool)] = [
            ("redis://", false, false), ("rediss://", true, false),
            ("redis+sentinel://", false, true), ("rediss+sentinel://", true, true),
        ]
        guard let scheme = schemes.first(where: { url.hasPrefix($0.prefix) }) else {
            throw .invalidURL("'\(RedisConfiguration.redact(url))' must start with redis://, rediss://, redis+sentinel://, "
                + "rediss+sentinel:// or unix://")
        }
        var rest = Substring(url.dropFirst(scheme.prefix.count))
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            query = try parseQuery(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = String(userinfo[..<colon])
                username = user.isEmpty ? nil : try RedisConfiguration.percentDecode(user)
                password = try RedisConfiguration.percentDecode(String(userinfo[userinfo.index(after: colon)...]))
            } else if !userinfo.isEmpty {
                // `redis://secret@host` is the common shorthand for a password without a user.
                password = try RedisConfiguration.percentDecode(String(userinfo))
            }
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var database = 0
        if let db = query.removeValue(forKey: "db") {
            guard let n = Int(db), n >= 0 else { throw .invalidURL("database must be a number, got '\(db)'") }
            database = n
        }
        let tls = try tlsOptions(&query, enabled: scheme.tls)
        var configuration: RedisConfiguration
        if scheme.sentinel {
            guard !path.isEmpty else { throw .invalidURL("a Sentinel URL names the master after the hosts: …/mastername") }
            let masterName = try RedisConfiguration.percentDecode(String(path))
            var sentinels: [RedisServerAddress] = []
            for host in rest.split(separator: ",", omittingEmptySubsequences: false) {
                sentinels.append(try hostAndPort(host, defaultPort: 26379))
            }
            let sentinel = RedisSentinelOptions(
                sentinels: sentinels, masterName: masterName,
                username: try query.removeValue(forKey: "sentinel_username").map { s throws(RedisError) in try RedisConfiguration.percentDecode(s) },
                password: try query.removeValue(forKey: "sentinel_password").map { s throws(RedisError) in try RedisConfiguration.percentDecode(s) })
            configuration = RedisConfiguration(address: .tcp(host: sentinels[0].host, port: sentinels[0].port),
                                               username: username, password: password, database: database)
            configuration.sentinel = sentinel
        } else {
            if !path.isEmpty {
                guard let n = Int(path), n >= 0 else { throw .invalidURL("database must be a number, got '\(path)'") }
                database = n
            }
            let server = try hostAndPort(rest, defaultPort: 6379)
            configuration = RedisConfiguration(address: .tcp(host: server.host, port: server.port),
                                               username: username, password: password, database: database)
        }
        configuration.tls = tls
        if let unknown = query.keys.sorted().first { throw .invalidURL("unknown query parameter '\(unknown)'") }
        return configuration
    }

    private static func parseUnix(_ url: String) throws(RedisError) -> RedisConfiguration {
        var rest = Substring(url.dropFirst("unix://".count))
        var database = 0
        if let q = rest.firstIndex(of: "?") {
            var query = try parseQuery(rest[rest.index(after: q)...])
            rest = rest[..<q]
            if let db = query.removeValue(forKey: "db") {
                guard let n = Int(db), n >= 0 else { throw .invalidURL("database must be a number, got '\(db)'") }
                database = n
            }
            if let unknown = query.keys.sorted().first { throw .invalidURL("unknown query parameter '\(unknown)'") }
        }
        guard rest.hasPrefix("/") else { throw .invalidURL("a unix socket URL needs an absolute path (unix:///path)") }
        return RedisConfiguration(address: .unix(path: String(rest)), database: database)
    }

    private static func parseQuery(_ text: Substring) throws(RedisError) -> [String: String] {
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[1].isEmpty else { throw .invalidURL("query parameter '\(kv[0])' needs a value") }
            query[kv[0]] = kv[1]
        }
        return query
    }

    private static func tlsOptions(_ query: inout [String: String], enabled: Bool) throws(RedisError) -> RedisTLSOptions? {
        let names = ["tls_ca_file", "tls_cert_file", "tls_key_file", "tls_server_name"]
        guard enabled else {
            if let given = names.first(where: { query[$0] != nil }) {
                throw .invalidURL("'\(given)' needs TLS: use rediss:// (or rediss+sentinel://)")
            }
            return nil
        }
        var options = RedisTLSOptions()
        options.caFile = try query.removeValue(forKey: "tls_ca_file").map { s throws(RedisError) in try RedisConfiguration.percentDecode(s) }
        options.certificateFile = try query.removeValue(forKey: "tls_cert_file").map { s throws(RedisError) in try RedisConfiguration.percentDecode(s) }
        options.keyFile = try query.removeValue(forKey: "tls_key_file").map { s throws(RedisError) in try RedisConfiguration.percentDecode(s) }
        options.serverName = query.removeValue(forKey: "tls_server_name")
        guard (options.certificateFile == nil) == (options.keyFile == nil) else {
            throw .invalidURL("a client certificate needs both tls_cert_file and tls_key_file")
        }
        return options
    }

    static func hostAndPort(_ text: Substring, defaultPort: Int) throws(RedisError) -> RedisServerAddress {
        var host = String(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:6379
            guard let close = host.firstIndex(of: "]") else { throw .invalidURL("unclosed '[' in host") }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                port = try portNumber(after.dropFirst())
            } else if !after.isEmpty {
                throw .invalidURL("unexpected '\(after)' after host")
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            port = try portNumber(host[host.index(after: colon)...])
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalidURL("missing host") }
        return RedisServerAddress(host: host, port: port)
    }

    private static func portNumber(_ text: Substring) throws(RedisError) -> Int {
        guard let p = Int(text), (1...65535).contains(p) else { throw .invalidURL("port must be 1-65535, got '\(text)'") }
        return p
    }
}
