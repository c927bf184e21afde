extension ServerMessage {
    /// The frame's JSON text: `type` first, members in the order of PROTOCOL.md's examples, no spaces. Nil
    /// `sdp_mid`/`sdp_mline_index` are `null`; `username_fragment` appears only when present.
    public func encoded() -> String {
        var writer = JSONWriter(capacity: capacityHint)
        write(to: &writer)
        return writer.text
    }

    /// The same text as UTF-8 bytes, for a transport that takes bytes and so need not build a `String`.
    public func encodedBytes() -> [UInt8] {
        var writer = JSONWriter(capacity: capacityHint)
        write(to: &writer)
        return writer.bytes
    }

    private func write(to writer: inout JSONWriter) {
        switch self {
        case .roomJoined(let room, let userID, let participants):
            writer.raw("{\"type\":\"RoomJoined\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"user_id\":")
            writer.integer(userID)
            writer.raw(",\"participants\":[")
            for (offset, participant) in participants.enumerated() {
                if offset > 0 { writer.raw(",") }
                write(participant, to: &writer)
            }
            writer.raw("]}")
        case .userJoined(let room, let user):
            writer.raw("{\"type\":\"UserJoined\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"user\":")
            write(user, to: &writer)
            writer.raw("}")
        case .userLeft(let room, let userID):
            writer.raw("{\"type\":\"UserLeft\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"user_id\":")
            writer.integer(userID)
            writer.raw("}")
        case .roomLeft(let room):
            writer.raw("{\"type\":\"RoomLeft\",\"room_name\":")
            writer.string(room)
            writer.raw("}")
        case .offer(let room, let from, let sdp):
            writer.raw("{\"type\":\"Offer\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"from_user_id\":")
            writer.integer(from)
            writer.raw(",\"sdp\":")
            writer.string(sdp)
            writer.raw("}")
        case .answer(let room, let from, let sdp):
            writer.raw("{\"type\":\"Answer\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"from_user_id\":")
            writer.integer(from)
            writer.raw(",\"sdp\":")
            writer.string(sdp)
            writer.raw("}")
        case .iceCandidate(let room, let from, let candidate):
            writer.raw("{\"type\":\"IceCandidate\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"from_user_id\":")
            writer.integer(from)
            writer.raw(",")
            candidate.writeMembers(to: &writer)
            writer.raw("}")
        case .error(let error):
            writer.raw("{\"type\":\"Error\",\"code\":")
            writer.string(error.code.rawValue)
            writer.raw(",\"message\":")
            writer.string(error.message)
            writer.raw("}")
        }
    }

    private func write(_ participant: Participant, to writer: inout JSONWriter) {
        writer.raw("{\"user_id\":")
        writer.integer(participant.userID)
        writer.raw(",\"username\":")
        writer.string(participant.username)
        writer.raw("}")
    }

    /// Enough for the fixed syntax plus the variable payload, so the buffer is allocated once in the common case
    /// (escapes may still grow it).
    private var capacityHint: Int {
        switch self {
        case .roomJoined(_, _, let participants):
            96 + participants.reduce(0) { $0 + 40 + $1.username.utf8.count }
        case .userJoined(_, let user): 160 + user.username.utf8.count
        case .offer(_, _, let sdp), .answer(_, _, let sdp): 128 + sdp.utf8.count
        case .iceCandidate(_, _, let candidate):
            192 + candidate.candidate.utf8.count + (candidate.usernameFragment?.utf8.count ?? 0)
                + (candidate.sdpMid?.utf8.count ?? 0)
        case .error(let error): 64 + error.message.utf8.count
        case .userLeft, .roomLeft: 128
        }
    }
}
