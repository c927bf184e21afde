extension ClientMessage {
    /// The JSON text a client sends, for the simulator and tests. Members follow PROTOCOL.md's table: `type`, then
    /// the fields in the order listed there. Nil `sdp_mid`/`sdp_mline_index` are written as `null` (as a browser's
    /// `RTCIceCandidate.toJSON()` does); a nil `token` or `username_fragment` is left out.
    public func encoded() -> String {
        var writer = JSONWriter(capacity: 96 + payloadSizeHint)
        switch self {
        case .join(let room, let username, let token):
            writer.raw("{\"type\":\"Join\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"username\":")
            writer.string(username)
            if let token {
                writer.raw(",\"token\":")
                writer.string(token)
            }
        case .leave(let room):
            writer.raw("{\"type\":\"Leave\",\"room_name\":")
            writer.string(room)
        case .offer(let room, let sdp, let target):
            writer.raw("{\"type\":\"Offer\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"sdp\":")
            writer.string(sdp)
            writer.raw(",\"target_user_id\":")
            writer.integer(target)
        case .answer(let room, let sdp, let target):
            writer.raw("{\"type\":\"Answer\",\"room_name\":")
            writer.string(room)
            writer.raw(",\"sdp\":")
            writer.string(sdp)
            writer.raw(",\"target_user_id\":")
            writer.integer(target)
        case .iceCandidate(let room, let candidate, let target):
            writer.raw("{\"type\":\"IceCandidate\",\"room_name\":")
            writer.string(room)
            writer.raw(",")
            candidate.writeMembers(to: &writer)
            writer.raw(",\"target_user_id\":")
            writer.integer(target)
        }
        writer.raw("}")
        return writer.text
    }

    private var payloadSizeHint: Int {
        switch self {
        case .join(_, _, let token): token?.utf8.count ?? 0
        case .leave: 0
        case .offer(_, let sdp, _), .answer(_, let sdp, _): sdp.utf8.count
        case .iceCandidate(_, let candidate, _): candidate.candidate.utf8.count
        }
    }
}
