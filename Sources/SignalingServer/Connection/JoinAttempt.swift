import Foundation
import SignalingProtocol

/// The decisions of one `Join`, as a pure state machine: the checks of PROTOCOL.md §1 in the contract's order
/// (token, room state), the connection's identity, the hub's half-join, the cluster registration, and the one undo
/// each failure needs.
///
/// `Session` runs it: it performs each returned step (a token check, a hub call, an await on the bridge) and feeds the
/// outcome back, until a final step. No node, no sockets: every path is tested on its own.
struct JoinAttempt: Sendable {
    enum Step: Sendable, Equatable {
        /// Verify the token for the room; feed `tokenChecked`.
        case verifyToken(String)
        /// Read the connection's current room; feed `roomChecked`.
        case checkRoom
        /// Bind the connection to a user id (the token's, or a fresh one); feed `identified`.
        case identify(tokenUserID: UserID?)
        /// Put the member in the hub, held until its `RoomJoined`; feed `began`.
        case begin(RoomMember)
        /// Register the member in the cluster; feed `registered`.
        case register(RoomMember)
        /// Release the member's `RoomJoined` and held frames; feed `completed`.
        case complete(RoomMember, remote: [Participant])

        // Final steps.
        /// Send this error; nothing was changed.
        case fail(ProtocolError)
        /// Undo the hub's half-join, then send this error.
        case abort(RoomMember, ProtocolError)
        /// Undo the registration: the member left (or was replaced) while it ran.
        case unregister(RoomMember)
        /// Joined.
        case joined(RoomMember)
        /// Say nothing: the connection is gone, or the identity step answered already.
        case stop
    }

    let room: String
    private(set) var username: String
    let token: String?
    /// Authentication is on: the `Join` needs a token.
    let authenticating: Bool
    /// The connection's user id, once it has one (a connection is one user for life).
    private(set) var userID: UserID?
    private var tokenUserID: UserID?
    private(set) var member: RoomMember?
    let connectionID: UUID

    init(room: String, username: String, token: String?, authenticating: Bool, userID: UserID?, connectionID: UUID) {
        self.room = room
        self.username = username
        self.token = token
        self.authenticating = authenticating
        self.userID = userID
        self.connectionID = connectionID
    }

    func start() -> Step {
        guard authenticating else { return .checkRoom }
        guard let token else { return .fail(.unauthorized("Join needs a token")) }
        return .verifyToken(token)
    }

    mutating func tokenChecked(_ result: Result<TokenIdentity, ProtocolError>) -> Step {
        switch result {
        case .failure(let error):
            return .fail(error)
        case .success(let identity):
            if let userID, userID != identity.userID {
                return .fail(.unauthorized("token is for another user than this connection's"))
            }
            tokenUserID = identity.userID
            if let name = identity.username { username = name }
            return .checkRoom
        }
    }

    /// `current`: the room the connection is in, if any. `now`: the join's time (`connected_at`), when it proceeds.
    mutating func roomChecked(current: String?, now: Date) -> Step {
        if let current { return .fail(.alreadyInRoom(current)) }
        guard let userID else { return .identify(tokenUserID: tokenUserID) }
        return begin(userID, now: now)
    }

    /// `assigned`: nil when no id could be given (the identity step answered the client).
    mutating func identified(_ assigned: UserID?, now: Date) -> Step {
        guard let assigned else { return .stop }
        userID = assigned
        return begin(assigned, now: now)
    }

    private mutating func begin(_ userID: UserID, now: Date) -> Step {
        let member = RoomMember(userID: userID, username: username, room: room, connectionID: connectionID, joinedAt: now)
        self.member = member
        return .begin(member)
    }

    mutating func began(_ start: RoomHub.JoinStart) -> Step {
        guard let member else { return .stop }
        switch start {
        case .gone: return .stop
        case .rejected(let error): return .fail(error)
        case .started: return .register(member)
        }
    }

    mutating func registered(_ result: Result<[Participant], ProtocolError>) -> Step {
        guard let member else { return .stop }
        switch result {
        case .failure(let error): return .abort(member, error)
        case .success(let remote): return .complete(member, remote: remote)
        }
    }

    /// `completed`: false when the member was no longer in the hub (it left, or was replaced, while registering).
    mutating func completed(_ completed: Bool) -> Step {
        guard let member else { return .stop }
        return completed ? .joined(member) : .unregister(member)
    }
}
