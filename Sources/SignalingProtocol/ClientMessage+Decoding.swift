extension ClientMessage {
    /// Decodes and validates one text message, running the contract's checks in its order: size (`too_large`),
    /// shape (`bad_message`: not JSON, not an object, unknown or missing `type`, missing or mistyped field), then
    /// names (`invalid_room_name`, then `invalid_username`). A message with both a shape and a name problem is a
    /// `bad_message`. Unknown fields are ignored, a client-sent `from_user_id` among them.
    ///
    /// Accepts any byte collection (`[UInt8]`, `String.UTF8View`, `ArraySlice`…); contiguous storage is read in
    /// place.
    public static func decode(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> ClientMessage {
        guard bytes.count <= Limits.maxMessageBytes else { throw .tooLarge }
        return try decode(FieldReader.parsing(bytes, context: "message", flaggingUnpairedSurrogates: true))
    }

    public static func decode(_ text: String) throws(ProtocolError) -> ClientMessage {
        try decode(text.utf8)
    }

    /// For a buffer handed over by the network layer (e.g. `ByteBuffer.withUnsafeReadableBytes`).
    public static func decode(_ buffer: UnsafeRawBufferPointer) throws(ProtocolError) -> ClientMessage {
        let bytes = UnsafeBufferPointer(
            start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        return try decode(bytes)
    }

    private static func decode(_ fields: FieldReader) throws(ProtocolError) -> ClientMessage {
        // Shape first: every field is read and type-checked before any name is judged.
        let message: ClientMessage
        switch try fields.type() {
        case "Join":
            message = .join(
                room: try fields.requiredString("room_name", allowingUnpairedSurrogates: true),
                username: try fields.requiredString("username", allowingUnpairedSurrogates: true),
                token: try fields.optionalString("token"))
        case "Leave":
            message = .leave(room: try fields.requiredString("room_name", allowingUnpairedSurrogates: true))
        case "Offer":
            message = .offer(
                room: try fields.requiredString("room_name", allowingUnpairedSurrogates: true),
                sdp: try fields.requiredString("sdp"),
                target: try fields.userID("target_user_id"))
        case "Answer":
            message = .answer(
                room: try fields.requiredString("room_name", allowingUnpairedSurrogates: true),
                sdp: try fields.requiredString("sdp"),
                target: try fields.userID("target_user_id"))
        case "IceCandidate":
            message = .iceCandidate(
                room: try fields.requiredString("room_name", allowingUnpairedSurrogates: true),
                candidate: try IceCandidate(members: fields),
                target: try fields.userID("target_user_id"))
        case let other:
            // Echo the tag only when it is short and harmless; it helps a client author spot a typo.
            throw .badMessage(
                Validation.isValidIdentifier(other) ? "unknown message type \(other)" : "unknown message type")
        }

        // Names second. An unpaired surrogate in room_name became U+FFFD, which the identifier rule rejects; in a
        // username U+FFFD is legal, so the parser's flag decides.
        guard Validation.isValidRoomName(message.room) else { throw .invalidRoomName }
        if case .join(let room, let rawUsername, let token) = message {
            guard !fields.hasUnpairedSurrogates("username"),
                let username = Validation.normalizedUsername(rawUsername)
            else { throw .invalidUsername }
            return .join(room: room, username: username, token: token)
        }
        return message
    }
}
