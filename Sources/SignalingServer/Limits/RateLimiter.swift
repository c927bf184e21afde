/// The per-connection rate limit: a token bucket, plus the rule that turns rejections into a disconnect.
///
/// A pure value with the time passed in, so the rules are tested without sockets or sleeping. PROTOCOL.md §1:
/// every rejected message gets `rate_limited`; only *sustained* flooding closes the connection (1008), where
/// sustained means rejections kept coming, each within 1 s of the previous one, for 3 s.
public struct RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case accept
        /// Answer `rate_limited`; the connection stays open.
        case reject
        /// Answer `rate_limited`, then close with 1008.
        case rejectAndClose
    }

    public static let streakGap: Duration = .seconds(1)
    public static let streakLength: Duration = .seconds(3)

    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant?
    private var streakStart: ContinuousClock.Instant?
    private var lastRejection: ContinuousClock.Instant?

    /// Starts full: a client may send `burst` messages at once right after connecting.
    public init(ratePerSecond: Double, burst: Int) {
        self.ratePerSecond = ratePerSecond
        self.burst = Double(burst)
        self.tokens = Double(burst)
    }

    public mutating func admit(at now: ContinuousClock.Instant) -> Decision {
        if let refilledAt {
            let elapsed = (now - refilledAt).seconds
            if elapsed > 0 { tokens = min(burst, tokens + elapsed * ratePerSecond) }
        }
        refilledAt = now
        if tokens >= 1 {
            tokens -= 1
            return .accept
        }
        if let lastRejection, now - lastRejection <= Self.streakGap, let streakStart {
            self.lastRejection = now
            return now - streakStart >= Self.streakLength ? .rejectAndClose : .reject
        }
        streakStart = now
        lastRejection = now
        return .reject
    }
}
