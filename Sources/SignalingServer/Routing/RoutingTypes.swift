import Foundation
import SignalingProtocol

/// A user in a room, as the node and the cluster layer record it (the Redis connection record of PROTOCOL.md §2
/// holds exactly these fields).
public struct RoomMember: Sendable, Hashable {
    public var userID: UserID
    public var username: String
    public var room: String
    /// Fixed for the connection's life (`connection_id`).
    public var connectionID: UUID
    /// When the user joined this room (`connected_at`).
    public var joinedAt: Date

    public init(userID: UserID, username: String, room: String, connectionID: UUID, joinedAt: Date) {
        self.userID = userID
        self.username = username
        self.room = room
        self.connectionID = connectionID
        self.joinedAt = joinedAt
    }

    public var participant: Participant { Participant(userID: userID, username: username) }
}

/// An `Offer`, `Answer` or `IceCandidate` on its way to a user who is not on this node.
public struct RelaySignal: Sendable {
    public var room: String
    public var from: UserID
    public var to: UserID
    /// What the target receives, `from_user_id` already set to the sender's real id.
    public var message: ServerMessage
    /// When the message arrived at this node (latency accounting).
    public var receivedAt: ContinuousClock.Instant

    public init(room: String, from: UserID, to: UserID, message: ServerMessage, receivedAt: ContinuousClock.Instant) {
        self.room = room
        self.from = from
        self.to = to
        self.message = message
        self.receivedAt = receivedAt
    }
}

/// What became of a signal handed to the cluster.
public enum RelayOutcome: Sendable, Equatable {
    case delivered
    /// The target is not in the room anywhere, or its node has no live heartbeat: `target_not_found`.
    case targetNotFound
    /// The cluster cannot be reached right now: `server_busy`.
    case unavailable
}

/// How the node is connected to the cluster, for `/health` (PROTOCOL.md §3).
public struct ClusterStatus: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case local
        case cluster
    }

    public var mode: Mode
    public var redisConnected: Bool
    /// Whether the pub/sub subscription is live: a node that silently stops hearing the cluster is the failure
    /// this field exists to show.
    public var subscriptionLive: Bool
    /// Local members with no registration in Redis yet (it failed, or the node was cut off when they joined):
    /// other nodes do not see them until the node registers them. Zero on a healthy node.
    public var unregisteredMembers: Int
    /// Cluster events the subscription dropped since the node started because the node did not read them fast
    /// enough (each drop makes the node reconcile its rooms). Zero on a healthy node.
    public var subscriptionDroppedEvents: Int

    public init(mode: Mode, redisConnected: Bool, subscriptionLive: Bool, unregisteredMembers: Int = 0,
                subscriptionDroppedEvents: Int = 0) {
        self.mode = mode
        self.redisConnected = redisConnected
        self.subscriptionLive = subscriptionLive
        self.unregisteredMembers = unregisteredMembers
        self.subscriptionDroppedEvents = subscriptionDroppedEvents
    }

    public static let standalone = ClusterStatus(mode: .local, redisConnected: false, subscriptionLive: false)
}
