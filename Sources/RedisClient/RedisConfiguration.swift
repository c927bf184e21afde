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

    /// Parses `redis://[[user]:password@]host[:port][/db]` and `unix:///path/to/redis.sock[?db=N]`.
    public init(url: String) throws(RedisError) {
        if url.hasPrefix("unix://") {
            var rest = String(url.dropFirst("unix://".count))
            var database = 0
            if let q = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: q)...]
                rest = String(rest[..<q])
                for pair in query.split(separator: "&") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2, kv[0] == "db" else { throw .invalidURL("unknown query parameter '\(pair)'") }
                    guard let db = Int(kv[1]), db >= 0 else { throw .invalidURL("database must be a number, got '\(kv[1])'") }
                    database = db
                }
            }
            guard rest.hasPrefix("/") else { throw .invalidURL("a unix socket URL needs an absolute path (unix:///path)") }
            self.init(address: .unix(path: rest), database: database)
            return
        }
        guard url.hasPrefix("redis://") else {
            throw .invalidURL("'\(Self.redact(url))' must start with redis:// or unix://")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = String(userinfo[..<colon])
                username = user.isEmpty ? nil : try Self.percentDecode(user)
                password = try Self.percentDecode(String(userinfo[userinfo.index(after: colon)...]))
            } else if !userinfo.isEmpty {
                // `redis://secret@host` is the common shorthand for a password without a user.
                password = try Self.percentDecode(String(userinfo))
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw .invalidURL("database must be a number, got '\(db)'") }
                database = n
            }
        }
        var host = String(rest)
        var port = 6379
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:6379
            guard let close = host.firstIndex(of: "]") else { throw .invalidURL("unclosed '[' in host") }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw .invalidURL("port must be 1-65535, got '\(after.dropFirst())'")
                }
                port = p
            } else if !after.isEmpty {
                throw .invalidURL("unexpected '\(after)' after host")
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            let portText = host[host.index(after: colon)...]
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw .invalidURL("port must be 1-65535, got '\(portText)'")
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalidURL("missing host") }
        self.init(address: .tcp(host: host, port: port), username: username, password: password, database: database)
    }

    /// The URL with the password replaced by `***`, for messages and logs.
    public var redactedURL: String {
        switch address {
        case .unix(let path):
            return "unix://\(path)" + (database != 0 ? "?db=\(database)" : "")
        case .tcp(let host, let port):
            var auth = ""
            if password != nil { auth = "\(username ?? ""):***@" } else if let username { auth = "\(username)@" }
            let h = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(h):\(port)" + (database != 0 ? "/\(database)" : "")
        }
    }

    /// `host:port` or the socket path, for errors about reaching the server.
    public var addressDescription: String {
        switch address {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Masks the password of a URL that could not even be parsed, so that errors never print a secret.
    public static func redact(_ url: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let at = parts[1].lastIndex(of: "@") else { return url }
        let userinfo = parts[1][..<at]
        let scheme = parts[0] + "://"
        if let colon = userinfo.firstIndex(of: ":") {
            return scheme + userinfo[..<colon] + ":***" + parts[1][at...]
        }
        return scheme + "***" + parts[1][at...]
    }

    private static func percentDecode(_ s: String) throws(RedisError) -> String {
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
