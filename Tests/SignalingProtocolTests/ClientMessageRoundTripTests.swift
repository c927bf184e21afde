import Testing
@testable import SignalingProtocol

@Suite("ClientMessage encoding and round trips")
struct ClientMessageRoundTripTests {
    static let messages: [ClientMessage] = [
        .join(room: "room123", username: "alice", token: nil),
        .join(room: "room123", username: "Zoë 🎧", token: "eyJhbGciOiJIUzI1NiJ9.e30.sig"),
        .leave(room: "a.b-c_D9"),
        .offer(room: "room123", sdp: "v=0\r\no=alice 1 2 IN IP4 127.0.0.1\r\n", target: 1002),
        .answer(room: "room123", sdp: "v=0\r\no=bob...", target: Limits.maxUserID),
        .iceCandidate(
            room: "room123", candidate: IceCandidate(candidate: "candidate:1 1 UDP 1 1.2.3.4 5 typ host"),
            target: 1),
        .iceCandidate(
            room: "room123",
            candidate: IceCandidate(candidate: "", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "uf"),
            target: 77),
        .iceCandidate(
            room: "r", candidate: IceCandidate(candidate: "c", sdpMid: nil, sdpMLineIndex: 65_535), target: 3),
    ]

    @Test("encode then decode gives back the same message and the same bytes", arguments: 0..<messages.count)
    func roundTrip(index: Int) throws {
        let message = Self.messages[index]
        let text = message.encoded()
        let decoded = try ClientMessage.decode(text)
        #expect(decoded == message)
        #expect(Array(decoded.encoded().utf8) == Array(text.utf8))
    }

    @Test func fieldOrderFollowsTheProtocolTable() {
        #expect(
            ClientMessage.join(room: "room123", username: "alice", token: "t").encoded()
                == #"{"type":"Join","room_name":"room123","username":"alice","token":"t"}"#)
        #expect(
            ClientMessage.join(room: "room123", username: "alice", token: nil).encoded()
                == #"{"type":"Join","room_name":"room123","username":"alice"}"#)
        #expect(ClientMessage.leave(room: "room123").encoded() == #"{"type":"Leave","room_name":"room123"}"#)
        #expect(
            ClientMessage.offer(room: "room123", sdp: "v=0", target: 1002).encoded()
                == #"{"type":"Offer","room_name":"room123","sdp":"v=0","target_user_id":1002}"#)
        #expect(
            ClientMessage.answer(room: "room123", sdp: "v=0", target: 1001).encoded()
                == #"{"type":"Answer","room_name":"room123","sdp":"v=0","target_user_id":1001}"#)
        #expect(
            ClientMessage.iceCandidate(
                room: "room123",
                candidate: IceCandidate(candidate: "c", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "u"),
                target: 1002
            ).encoded()
                == #"{"type":"IceCandidate","room_name":"room123","candidate":"c","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"u","target_user_id":1002}"#
        )
        #expect(
            ClientMessage.iceCandidate(room: "room123", candidate: IceCandidate(candidate: "c"), target: 2).encoded()
                == #"{"type":"IceCandidate","room_name":"room123","candidate":"c","sdp_mid":null,"sdp_mline_index":null,"target_user_id":2}"#
        )
    }

    /// Hard strings survive client → node → client exactly: decoded to the right value and re-encoded by the node
    /// to the same bytes the client's canonical encoder wrote.
    @Test(arguments: [
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n",
        #"quotes " and backslashes \ and \\ and \" and slash /"#,
        "emoji 😀👩‍👩‍👧 and accents é e\u{301} and CJK 漢字",
        "nul \u{0} and control \u{1}\u{1F} and DEL \u{7F}",
        "",
        "\u{FEFF}\u{202E}\u{2028}\u{FFFF}\u{10FFFF}",
    ])
    func hardStringsRoundTripByteExact(sdp: String) throws {
        let sent = ClientMessage.offer(room: "room123", sdp: sdp, target: 42).encoded()
        let received = try ClientMessage.decode(sent)
        guard case .offer(let room, let decodedSDP, let target) = received else {
            Issue.record("decoded \(received)")
            return
        }
        #expect(Array(decodedSDP.utf8) == Array(sdp.utf8))
        #expect(room == "room123" && target == 42)

        let relayed = try #require(received.relayed(from: 7))
        let expected =
            #"{"type":"Offer","room_name":"room123","from_user_id":7,"sdp":"# + quoted(sdp) + "}"
        #expect(Array(relayed.encoded().utf8) == Array(expected.utf8))
        #expect(try ServerMessage.decode(relayed.encoded()) == relayed)
    }

    @Test func escapeFormsDecodeToTheirCharactersAndReencodeCanonically() throws {
        // \u0000, a surrogate pair for 😀, \/ and upper-case hex all decode; the node writes them back the way
        // JSON.stringify would.
        let text =
            #"{"type":"Offer","room_name":"r","sdp":"a\u0000b\ud83d\ude00c\/d\u00E9\u001F\"\\\b\f\n\r\t","target_user_id":5}"#
        let message = try ClientMessage.decode(text)
        let expectedSDP = "a\u{0}b😀c/dé\u{1F}\"\\\u{8}\u{C}\n\r\t"
        #expect(message == .offer(room: "r", sdp: expectedSDP, target: 5))
        guard case .offer(_, let sdp, _) = message else { return }
        #expect(Array(sdp.utf8) == Array(expectedSDP.utf8))
        #expect(
            message.relayed(from: 1)?.encoded()
                == #"{"type":"Offer","room_name":"r","from_user_id":1,"sdp":"a\u0000b😀c/dé\u001f\"\\\b\f\n\r\t"}"#)
    }

    @Test func relayingUsesTheSendersRealIDAndIgnoresAClaimedOne() throws {
        let text = #"{"type":"Answer","room_name":"r","from_user_id":666,"sdp":"x","target_user_id":9}"#
        let message = try ClientMessage.decode(text)
        #expect(message == .answer(room: "r", sdp: "x", target: 9))
        #expect(message.relayed(from: 12) == .answer(room: "r", from: 12, sdp: "x"))
        #expect(ClientMessage.leave(room: "r").relayed(from: 1) == nil)
    }

    @Test func iceCandidateRelayKeepsEveryField() throws {
        let text =
            #"{"type":"IceCandidate","room_name":"r","candidate":"","sdp_mid":"1","sdp_mline_index":1,"username_fragment":"f","target_user_id":2}"#
        let message = try ClientMessage.decode(text)
        #expect(
            message.relayed(from: 3)?.encoded()
                == #"{"type":"IceCandidate","room_name":"r","from_user_id":3,"candidate":"","sdp_mid":"1","sdp_mline_index":1,"username_fragment":"f"}"#
        )
    }

    @Test func accessorsDescribeTheMessage() {
        let offer = ClientMessage.offer(room: "x", sdp: "", target: 4)
        #expect(offer.typeName == "Offer" && offer.room == "x" && offer.target == 4)
        let join = ClientMessage.join(room: "y", username: "u", token: nil)
        #expect(join.typeName == "Join" && join.room == "y" && join.target == nil)
        #expect(ClientMessage.iceCandidate(room: "z", candidate: IceCandidate(candidate: ""), target: 1).typeName
            == "IceCandidate")
    }

    @Test func decodesFromEveryInputForm() throws {
        let text = #"{"type":"Leave","room_name":"abc"}"#
        let bytes = Array(text.utf8)
        #expect(try ClientMessage.decode(text) == .leave(room: "abc"))
        #expect(try ClientMessage.decode(bytes) == .leave(room: "abc"))
        #expect(try ClientMessage.decode(bytes[...]) == .leave(room: "abc"))
        let fromRaw = try bytes.withUnsafeBytes { buffer throws(ProtocolError) in try ClientMessage.decode(buffer) }
        #expect(fromRaw == .leave(room: "abc"))
        // A non-contiguous collection goes through the copying path.
        #expect(try ClientMessage.decode(bytes.lazy.map { $0 }) == .leave(room: "abc"))
    }
}
