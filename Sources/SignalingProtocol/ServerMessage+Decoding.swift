extension ServerMessage {
    /// Decodes a frame received from a node, for clients (the simulator and tests).
    ///
    /// Tolerant where the contract allows additive change — unknown fields are ignored — and strict on the shapes
    /// it pins: ids must be integer literals in range, and an unknown `type` or `code` is a `bad_message`, so a
    /// test notices when the server drifts from the contract. No size limit applies: a `RoomJoined` for a large
    /// room may exceed the client-side 64 KiB.
    public static func decode(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> ServerMessage {
        try decode(FieldReader.parsing(bytes, context: "message"))
    }

    public static func decode(_ text: String) throws(ProtocolError) -> ServerMessage {
        try decode(text.utf8)
    }

    public static func decode(_ buffer: UnsafeRawBufferPointer) throws(ProtocolError) -> ServerMessage {
        let bytes = UnsafeBufferPointer(
            start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        return try decode(bytes)
    }

    private static func decode(_ fields: FieldReader) throws(ProtocolError) -> ServerMessage {
        switch try fields.type() {
        case "RoomJoined":
            let room = try fields.requiredString("room_name")
            let userID = try fields.userID("user_id")
            var participants: [Participant] = []
            for element in try fields.requiredArray("participants") {
                guard case .object(let entry) = element else {
                    throw .badMessage("field participants must hold objects")
                }
                participants.append(try participant(FieldReader(entry)))
            }
            return .roomJoined(room: room, userID: userID, participants: participants)
        case "UserJoined":
            return .userJoined(
                room: try fields.requiredString("room_name"),
                user: try participant(fields.requiredObject("user")))
        case "UserLeft":
            return .userLeft(room: try fields.requiredString("room_name"), userID: try fields.userID("user_id"))
        case "RoomLeft":
            return .roomLeft(room: try fields.requiredString("room_name"))
        case "Offer":
            return .offer(
                room: try fields.requiredString("room_name"),
                from: try fields.userID("from_user_id"),
                sdp: try fields.requiredString("sdp"))
        case "Answer":
            return .answer(
                room: try fields.requiredString("room_name"),
                from: try fields.userID("from_user_id"),
                sdp: try fields.requiredString("sdp"))
        case "IceCandidate":
            return .iceCandidate(
                room: try fields.requiredString("room_name"),
                from: try fields.userID("from_user_id"),
                candidate: try IceCandidate(members: fields))
        case "Error":
            let codeText = try fields.requiredString("code")
            guard let code = ErrorCode(rawValue: codeText) else {
                throw .badMessage("field code is not a known error code")
            }
            return .error(ProtocolError(code: code, message: try fields.requiredString("message")))
        case let other:
            throw .badMessage(
                Validation.isValidIdentifier(other) ? "unknown message type \(other)" : "unknown message type")
        }
    }

    private static func participant(_ fields: FieldReader) throws(ProtocolError) -> Participant {
        Participant(userID: try fields.userID("user_id"), username: try fields.requiredString("username"))
    }
}
