import SignalingProtocol
import Synchronization

/// Where user ids come from when authentication is off (with a token, the token's `sub` is the id).
///
/// A protocol because uniqueness has two scopes: on a standalone node a counter is enough; in a cluster, ids must
/// stay unique across nodes even while a node is cut off from Redis, which the cluster layer solves by leasing
/// blocks of ids (PROTOCOL.md §2, `users:next_id`).
public protocol UserIDSource: Sendable {
    /// A fresh id in 1…2^53−1 that no connected user has. Throws when none can be had (the client gets
    /// `server_busy`).
    func nextUserID() async throws -> UserID

    /// A fresh id without waiting, for a join decided on a connection's event loop; nil when this source cannot
    /// answer without waiting (the caller then uses `nextUserID()`).
    func nextUserIDNow() throws -> UserID?
}

extension UserIDSource {
    public func nextUserIDNow() throws -> UserID? { nil }
}

/// Ids 1, 2, 3, … for a node on its own: unique on this node for the life of the process.
public final class LocalUserIDSource: UserIDSource {
    private let next: Mutex<UserID>

    public init(startingAt first: UserID = 1) {
        next = Mutex(first)
    }

    public func nextUserID() async throws -> UserID {
        try nextUserIDNow()!
    }

    public func nextUserIDNow() throws -> UserID? {
        try next.withLock { next in
            guard next <= Limits.maxUserID else { throw UserIDExhausted() }
            defer { next += 1 }
            return next
        }
    }
}

/// Every id up to 2^53−1 has been handed out.
public struct UserIDExhausted: Error, CustomStringConvertible {
    public var description: String { "no user ids left" }
}
