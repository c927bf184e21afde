import NIOCore
import SignalingProtocol
import Synchronization

/// The least a WebSocket server must do for `sigctl simulate relay` to run against it: hand out ids, answer `Join`
/// with the room's other members, tell them, and pass each `Offer`/`Answer`/`IceCandidate` to its target with
/// `from_user_id` set. No validation, limits, metrics or logs: what it costs per message is the cost of the
/// WebSocket stack under it, the floor beneath the node's own work (BENCHMARKS.md, "Where the floor is").
final class BareRelay<Sink: Sendable>: Sendable {
    private struct Member {
        let sink: Sink
        var username = ""
        var room: String?
    }

    private struct State {
        var members: [UserID: Member] = [:]
        var rooms: [String: Set<UserID>] = [:]
        var lastID: UserID = 1000
    }

    private let state = Mutex(State())
    /// Writes one text frame to a member; called on whichever thread the sender runs on.
    private let send: @Sendable (Sink, ByteBuffer) -> Void

    init(send: @escaping @Sendable (Sink, ByteBuffer) -> Void) {
        self.send = send
    }

    func connect(_ sink: Sink) -> UserID {
        state.withLock { state in
            state.lastID += 1
            state.members[state.lastID] = Member(sink: sink)
            return state.lastID
        }
    }

    /// One text frame from `user`.
    func received(_ frame: ByteBuffer, from user: UserID) {
        // `{"type":"` is 9 bytes: the first letter of the type tells the messages of a relay run apart.
        switch frame.getInteger(at: frame.readerIndex + 9, as: UInt8.self) {
        case UInt8(ascii: "O"), UInt8(ascii: "A"), UInt8(ascii: "I"): relay(frame, from: user)
        case UInt8(ascii: "J"): join(frame, user: user)
        default: break
        }
    }

    func disconnect(_ user: UserID) {
        let (room, others) = state.withLock { state -> (String?, [Sink]) in
            guard let member = state.members.removeValue(forKey: user), let room = member.room else { return (nil, []) }
            state.rooms[room]?.remove(user)
            if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
            return (room, (state.rooms[room] ?? []).compactMap { state.members[$0]?.sink })
        }
        guard let room else { return }
        let left = ByteBuffer(string: ServerMessage.userLeft(room: room, userID: user).encoded())
        for other in others { send(other, left) }
    }

    /// The simulator ends each signal with `"target_user_id":N}`: the frame is passed on with that member
    /// replaced by `"from_user_id":sender}` — bytes spliced, not parsed, so the protocol costs next to nothing.
    private func relay(_ frame: ByteBuffer, from user: UserID) {
        let key = Array(#""target_user_id":"#.utf8)
        let found = frame.withUnsafeReadableBytes { raw -> (target: UserID, keyStart: Int)? in
            guard let colon = raw.lastIndex(of: UInt8(ascii: ":")), colon + 1 >= key.count else { return nil }
            let keyStart = colon + 1 - key.count
            guard raw[keyStart...colon].elementsEqual(key) else { return nil }
            var target: UserID = 0
            for byte in raw[(colon + 1)...] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                target = target &* 10 &+ UserID(byte - UInt8(ascii: "0"))
            }
            return (target, keyStart)
        }
        guard let found else { return }
        let (target, sender) = state.withLock { ($0.members[found.target]?.sink, $0.members[user]?.sink) }
        guard let target else {
            if let sender {
                send(sender, ByteBuffer(string: ServerMessage.error(ProtocolError(code: .targetNotFound, message: "user \(found.target) is not connected")).encoded()))
            }
            return
        }
        var out = ByteBuffer()
        out.reserveCapacity(found.keyStart + 40)
        out.writeBytes(frame.readableBytesView.prefix(found.keyStart))
        out.writeString(#""from_user_id":\#(user)}"#)
        send(target, out)
    }

    private func join(_ frame: ByteBuffer, user: UserID) {
        guard case .join(let room, let username, _) = try? ClientMessage.decode(frame.readableBytesView) else { return }
        let (me, others) = state.withLock { state -> (Sink?, [(UserID, Member)]) in
            let ids = (state.rooms[room] ?? []).sorted()
            state.rooms[room, default: []].insert(user)
            state.members[user]?.username = username
            state.members[user]?.room = room
            return (state.members[user]?.sink, ids.compactMap { id in state.members[id].map { (id, $0) } })
        }
        guard let me else { return }
        let participants = others.map { Participant(userID: $0.0, username: $0.1.username) }
        send(me, ByteBuffer(string: ServerMessage.roomJoined(room: room, userID: user, participants: participants).encoded()))
        let joined = ByteBuffer(string: ServerMessage.userJoined(room: room, user: Participant(userID: user, username: username)).encoded())
        for (_, other) in others { send(other.sink, joined) }
    }
}
