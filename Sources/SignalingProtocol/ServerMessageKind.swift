/// The `type` of an outgoing message as a small value, so a queued frame can carry it to the writer for the
/// messages-out metric without keeping the `ServerMessage` alive. The one place that names each type on the wire.
public enum ServerMessageKind: UInt8, Sendable, CaseIterable {
    case roomJoined, userJoined, userLeft, roomLeft, offer, answer, iceCandidate, error

    public init(_ message: ServerMessage) {
        switch message {
        case .roomJoined: self = .roomJoined
        case .userJoined: self = .userJoined
        case .userLeft: self = .userLeft
        case .roomLeft: self = .roomLeft
        case .offer: self = .offer
        case .answer: self = .answer
        case .iceCandidate: self = .iceCandidate
        case .error: self = .error
        }
    }

    /// The wire `type` tag.
    public var typeName: String {
        switch self {
        case .roomJoined: "RoomJoined"
        case .userJoined: "UserJoined"
        case .userLeft: "UserLeft"
        case .roomLeft: "RoomLeft"
        case .offer: "Offer"
        case .answer: "Answer"
        case .iceCandidate: "IceCandidate"
        case .error: "Error"
        }
    }
}

/// The `type` of an incoming message, for the messages-in metric.
public enum ClientMessageKind: UInt8, Sendable, CaseIterable {
    case join, leave, offer, answer, iceCandidate, binary

    public init(_ message: ClientMessage) {
        switch message {
        case .join: self = .join
        case .leave: self = .leave
        case .offer: self = .offer
        case .answer: self = .answer
        case .iceCandidate: self = .iceCandidate
        }
    }

    public var typeName: String {
        switch self {
        case .join: "Join"
        case .leave: "Leave"
        case .offer: "Offer"
        case .answer: "Answer"
        case .iceCandidate: "IceCandidate"
        case .binary: "binary"
        }
    }
}
