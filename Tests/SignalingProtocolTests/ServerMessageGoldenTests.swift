import Testing
@testable import SignalingProtocol

/// The byte shapes of PROTOCOL.md §1 "Node → client", copied verbatim. A difference of one byte is a contract break.
@Suite("ServerMessage golden JSON")
struct ServerMessageGoldenTests {
    static let goldens: [(ServerMessage, String)] = [
        (
            .roomJoined(room: "room123", userID: 1001, participants: [Participant(userID: 1002, username: "bob")]),
            #"{"type":"RoomJoined","room_name":"room123","user_id":1001,"participants":[{"user_id":1002,"username":"bob"}]}"#
        ),
        (
            .userJoined(room: "room123", user: Participant(userID: 1001, username: "alice")),
            #"{"type":"UserJoined","room_name":"room123","user":{"user_id":1001,"username":"alice"}}"#
        ),
        (
            .userLeft(room: "room123", userID: 1001),
            #"{"type":"UserLeft","room_name":"room123","user_id":1001}"#
        ),
        (
            .roomLeft(room: "room123"),
            #"{"type":"RoomLeft","room_name":"room123"}"#
        ),
        (
            .offer(room: "room123", from: 1001, sdp: "v=0\r\no=alice..."),
            #"{"type":"Offer","room_name":"room123","from_user_id":1001,"sdp":"v=0\r\no=alice..."}"#
        ),
        (
            .answer(room: "room123", from: 1002, sdp: "v=0\r\no=bob..."),
            #"{"type":"Answer","room_name":"room123","from_user_id":1002,"sdp":"v=0\r\no=bob..."}"#
        ),
        (
            .iceCandidate(
                room: "room123", from: 1001,
                candidate: IceCandidate(candidate: "candidate:1 1 UDP ...", sdpMid: "0", sdpMLineIndex: 0)),
            #"{"type":"IceCandidate","room_name":"room123","from_user_id":1001,"candidate":"candidate:1 1 UDP ...","sdp_mid":"0","sdp_mline_index":0}"#
        ),
        (
            .error(.targetNotFound(1002, room: "room123")),
            #"{"type":"Error","code":"target_not_found","message":"user 1002 is not in room room123"}"#
        ),
    ]

    @Test("every documented example encodes byte for byte", arguments: 0..<goldens.count)
    func encodesGolden(index: Int) {
        let (message, golden) = Self.goldens[index]
        #expect(Array(message.encoded().utf8) == Array(golden.utf8))
        #expect(message.encodedBytes() == Array(golden.utf8))
    }

    @Test("every documented example decodes to the value it came from", arguments: 0..<goldens.count)
    func decodesGolden(index: Int) throws {
        let (message, golden) = Self.goldens[index]
        #expect(try ServerMessage.decode(golden) == message)
    }

    @Test func roomJoinedWithNoParticipantsHasAnEmptyArray() {
        #expect(
            ServerMessage.roomJoined(room: "r", userID: 7, participants: []).encoded()
                == #"{"type":"RoomJoined","room_name":"r","user_id":7,"participants":[]}"#)
    }

    @Test func roomJoinedKeepsParticipantOrderAndSeparatesWithCommas() {
        let message = ServerMessage.roomJoined(
            room: "r", userID: 9,
            participants: [
                Participant(userID: 1, username: "a"), Participant(userID: 2, username: "b"),
                Participant(userID: 3, username: "c"),
            ])
        #expect(
            message.encoded()
                == #"{"type":"RoomJoined","room_name":"r","user_id":9,"participants":[{"user_id":1,"username":"a"},{"user_id":2,"username":"b"},{"user_id":3,"username":"c"}]}"#
        )
    }

    @Test func iceCandidateWithoutMidOrIndexWritesNulls() {
        let message = ServerMessage.iceCandidate(room: "room123", from: 5, candidate: IceCandidate(candidate: ""))
        #expect(
            message.encoded()
                == #"{"type":"IceCandidate","room_name":"room123","from_user_id":5,"candidate":"","sdp_mid":null,"sdp_mline_index":null}"#
        )
    }

    @Test func iceCandidateUsernameFragmentComesLastAndOnlyWhenGiven() {
        let message = ServerMessage.iceCandidate(
            room: "room123", from: 5,
            candidate: IceCandidate(candidate: "candidate:2", sdpMid: "audio", sdpMLineIndex: 1, usernameFragment: "abcd"))
        #expect(
            message.encoded()
                == #"{"type":"IceCandidate","room_name":"room123","from_user_id":5,"candidate":"candidate:2","sdp_mid":"audio","sdp_mline_index":1,"username_fragment":"abcd"}"#
        )
    }

    @Test func largestUserIDIsWrittenInFull() {
        #expect(
            ServerMessage.userLeft(room: "r", userID: Limits.maxUserID).encoded()
                == #"{"type":"UserLeft","room_name":"r","user_id":9007199254740991}"#)
    }

    @Test func everyErrorCodeUsesItsWireName() {
        let expected: [ErrorCode: String] = [
            .badMessage: "bad_message", .invalidRoomName: "invalid_room_name", .invalidUsername: "invalid_username",
            .unauthorized: "unauthorized", .alreadyInRoom: "already_in_room", .notInRoom: "not_in_room",
            .targetNotFound: "target_not_found", .rateLimited: "rate_limited", .replaced: "replaced",
            .tooLarge: "too_large", .serverBusy: "server_busy",
        ]
        #expect(ErrorCode.allCases.count == expected.count)
        for code in ErrorCode.allCases {
            let encoded = ServerMessage.error(ProtocolError(code: code, message: "m")).encoded()
            #expect(encoded == #"{"type":"Error","code":"\#(expected[code]!)","message":"m"}"#)
        }
    }

    @Test func errorHelpersWordTheirMessages() {
        #expect(ProtocolError.targetNotFound(1002, room: "room123").message == "user 1002 is not in room room123")
        #expect(ProtocolError.notInRoom("room123") == ProtocolError(code: .notInRoom, message: "not in room room123"))
        #expect(ProtocolError.alreadyInRoom("x").code == .alreadyInRoom)
        #expect(ProtocolError.tooLarge.message == "message is larger than 65536 bytes")
        #expect(ProtocolError.binaryMessage.code == .badMessage)
        #expect(ProtocolError.rateLimited.code == .rateLimited)
        #expect(ProtocolError.replaced.code == .replaced)
        #expect(ProtocolError.serverBusy("full").code == .serverBusy)
        #expect(ProtocolError.unauthorized("expired").description == "unauthorized: expired")
    }

    @Test func typeNamesMatchTheWireTags() {
        for (message, golden) in Self.goldens {
            #expect(golden.hasPrefix(#"{"type":"\#(message.typeName)""#))
        }
    }

    @Test func escapesInRelayedStringsFollowJSONStringify() throws {
        let sdp = "a\"b\\c/d\u{0}\u{1}\u{1F}\u{7F}\u{8}\u{C}\t\r\né😀"
        let message = ServerMessage.offer(room: "r", from: 1, sdp: sdp)
        #expect(
            message.encoded()
                == #"{"type":"Offer","room_name":"r","from_user_id":1,"sdp":"a\"b\\c/d\u0000\u0001\u001f"#
                + "\u{7F}" + #"\b\f\t\r\né😀"}"#)
        #expect(try ServerMessage.decode(message.encoded()) == message)
    }
}

@Suite("ServerMessage decoding")
struct ServerMessageDecodingTests {
    @Test func ignoresUnknownFields() throws {
        let text = #"{"future":[1,{"x":null}],"type":"UserLeft","user_id":3,"room_name":"r","extra":true}"#
        #expect(try ServerMessage.decode(text) == .userLeft(room: "r", userID: 3))
    }

    @Test func readsIceCandidateNullsAndAbsences() throws {
        let withNulls =
            #"{"type":"IceCandidate","room_name":"r","from_user_id":2,"candidate":"c","sdp_mid":null,"sdp_mline_index":null}"#
        let absent = #"{"type":"IceCandidate","room_name":"r","from_user_id":2,"candidate":"c"}"#
        let expected = ServerMessage.iceCandidate(room: "r", from: 2, candidate: IceCandidate(candidate: "c"))
        #expect(try ServerMessage.decode(withNulls) == expected)
        #expect(try ServerMessage.decode(absent) == expected)
    }

    @Test func rejectsUnknownTypeAndUnknownErrorCode() {
        #expect(throws: ProtocolError.badMessage("unknown message type Hello")) {
            try ServerMessage.decode(#"{"type":"Hello"}"#)
        }
        #expect(throws: ProtocolError.badMessage("field code is not a known error code")) {
            try ServerMessage.decode(#"{"type":"Error","code":"nope","message":"m"}"#)
        }
    }

    @Test func rejectsNonIntegerIDs() {
        for id in ["1.0", "1e3", "0", "-4", "\"5\"", "9007199254740992"] {
            #expect(throws: ProtocolError.self) {
                try ServerMessage.decode(#"{"type":"UserLeft","room_name":"r","user_id":\#(id)}"#)
            }
        }
    }

    @Test func rejectsParticipantsThatAreNotObjects() {
        #expect(throws: ProtocolError.badMessage("field participants must hold objects")) {
            try ServerMessage.decode(#"{"type":"RoomJoined","room_name":"r","user_id":1,"participants":[1]}"#)
        }
    }

    @Test func readsFromRawBuffers() throws {
        let bytes = Array(#"{"type":"RoomLeft","room_name":"abc"}"#.utf8)
        let message = try bytes.withUnsafeBytes { buffer throws(ProtocolError) in
            try ServerMessage.decode(buffer)
        }
        #expect(message == .roomLeft(room: "abc"))
    }
}
