/// Every failure the client reports. The descriptions are one line, fit for an operator's terminal.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL could not be parsed; the payload says what is wrong.
    case invalidURL(String)
    /// Nothing listens at the address (ECONNREFUSED, host not found).
    case connectionRefused(address: String, reason: String)
    /// The address did not answer within the connect timeout.
    case connectTimeout(address: String, seconds: Double)
    /// AUTH was rejected.
    case authenticationFailed(String)
    /// Redis answered with an error reply (`-ERR ...`).
    case server(String)
    /// The connection dropped while the command was in flight; it may or may not have run.
    case connectionLost
    /// The client is not connected (reconnecting, or configured to fail fast).
    case notConnected
    /// The client was shut down.
    case closed
    /// No reply within the command timeout.
    case timeout
    /// The bytes from the server were not valid RESP2.
    case protocolError(String)
    /// No Sentinel answered with a usable master (unknown master name, every Sentinel down, a replica in its place).
    case sentinel(String)
    /// TLS could not be set up: a certificate file, or the handshake (an untrusted certificate, a name mismatch).
    case tls(String)

    public var description: String {
        switch self {
        case .invalidURL(let why): return "invalid Redis URL: \(why)"
        case .connectionRefused(let address, let reason): return "cannot connect to Redis at \(address): \(reason)"
        case .connectTimeout(let address, let seconds):
            return "cannot connect to Redis at \(address): no answer within \(formatSeconds(seconds))"
        case .authenticationFailed(let why): return "Redis authentication failed: \(why)"
        case .server(let message): return "Redis error: \(message)"
        case .connectionLost: return "connection to Redis lost"
        case .notConnected: return "not connected to Redis"
        case .closed: return "Redis client closed"
        case .timeout: return "Redis command timed out"
        case .protocolError(let why): return "Redis protocol error: \(why)"
        case .sentinel(let why): return "Redis Sentinel: \(why)"
        case .tls(let why): return "Redis TLS: \(why)"
        }
    }
}

private func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
}
