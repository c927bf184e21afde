/// A message a client sends to its node (PROTOCOL.md §1 "Client → node").
///
/// A closed enum: the node handles exactly these, and an unknown `type` is a `bad_message`. Values produced by
/// `decode` have passed the shape and name checks — room names are valid, the username is trimmed and valid,
/// targets are in range — so the server only adds token, room-state and target checks.
public enum ClientMessage: Sendable, Hashable {
    /// `username` is the trimmed name; `token` is the JWT when the client sent one.
    case join(room: String, username: String, token: String?)
    case leave(room: String)
    case offer(room: String, sdp: String, target: UserID)
    case answer(room: String, sdp: String, target: UserID)
    case iceCandidate(room: String, candidate: IceCandidate, target: UserID)
}

extension ClientMessage {
    /// The wire `type` tag, e.g. for metrics labels and logs.
    public var typeName: String { ClientMessageKind(self).typeName }

    /// Every client message names a room.
    public var room: String {
        switch self {
        case .join(let room, _, _), .leave(let room), .offer(let room, _, _), .answer(let room, _, _),
            .iceCandidate(let room, _, _):
            room
        }
    }

    /// The user a relayed message is addressed to; nil for `Join` and `Leave`.
    public var target: UserID? {
        switch self {
        case .join, .leave: nil
        case .offer(_, _, let target), .answer(_, _, let target), .iceCandidate(_, _, let target): target
        }
    }

    /// What the target receives for a relayed message: the same payload with the sender's real id as
    /// `from_user_id`. Nil for `Join` and `Leave`, which are not relayed.
    public func relayed(from sender: UserID) -> ServerMessage? {
        switch self {
        case .join, .leave: nil
        case .offer(let room, let sdp, _): .offer(room: room, from: sender, sdp: sdp)
        case .answer(let room, let sdp, _): .answer(room: room, from: sender, sdp: sdp)
        case .iceCandidate(let room, let candidate, _): .iceCandidate(room: room, from: sender, candidate: candidate)
        }
    }
}
