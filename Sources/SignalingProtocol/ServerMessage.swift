/// A message a node sends to a client (PROTOCOL.md §1 "Node → client").
///
/// `encoded()` is the server's hot path and writes the exact byte shapes pinned by the golden tests;
/// `decode(_:)` is for clients (the simulator and tests).
public enum ServerMessage: Sendable, Hashable {
    /// `participants`: everyone else already in the room, sorted by `user_id` (the sender sorts; encoding keeps the
    /// given order).
    case roomJoined(room: String, userID: UserID, participants: [Participant])
    case userJoined(room: String, user: Participant)
    case userLeft(room: String, userID: UserID)
    case roomLeft(room: String)
    case offer(room: String, from: UserID, sdp: String)
    case answer(room: String, from: UserID, sdp: String)
    case iceCandidate(room: String, from: UserID, candidate: IceCandidate)
    case error(ProtocolError)
}

extension ServerMessage {
    /// The wire `type` tag, e.g. for metrics labels and logs.
    public var typeName: String { ServerMessageKind(self).typeName }

    /// The room the message is about; nil for `Error`.
    public var room: String? {
        switch self {
        case .roomJoined(let room, _, _), .userJoined(let room, _), .userLeft(let room, _), .roomLeft(let room),
            .offer(let room, _, _), .answer(let room, _, _), .iceCandidate(let room, _, _):
            room
        case .error:
            nil
        }
    }
}
