import Testing
@testable import SignalingProtocol

@Suite("ClientMessage rejections")
struct ClientMessageRejectionTests {
    // MARK: target_user_id

    @Test(arguments: [
        "0", "-1", "2.5", "2.0", "2e0", "2E0", "1e3", "-0", "9007199254740992", "18446744073709551616",
        "99999999999999999999999", "\"2\"", "true", "false", "null", "[2]", "{\"id\":2}", "1.", "01", "+2", "0x2",
        "NaN", "Infinity",
    ])
    func targetUserIDFormsAreBadMessages(literal: String) {
        for type in ["Offer", "Answer"] {
            let text = #"{"type":"\#(type)","room_name":"r","sdp":"x","target_user_id":\#(literal)}"#
            #expect(rejection(text) == .badMessage, "\(type) with target_user_id \(literal)")
        }
        let ice = #"{"type":"IceCandidate","room_name":"r","candidate":"c","target_user_id":\#(literal)}"#
        #expect(rejection(ice) == .badMessage, "IceCandidate with target_user_id \(literal)")
    }

    @Test func targetUserIDAtTheLimitsIsAccepted() throws {
        #expect(try ClientMessage.decode(#"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":1}"#)
            == .offer(room: "r", sdp: "x", target: 1))
        #expect(
            try ClientMessage.decode(
                #"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":9007199254740991}"#)
                == .offer(room: "r", sdp: "x", target: 9_007_199_254_740_991))
    }

    @Test func targetUserIDErrorNamesTheField() {
        let error = decodeError(#"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":2.0}"#)
        #expect(error == .badMessage("field target_user_id must be an integer in 1...9007199254740991"))
    }

    // MARK: shape

    @Test(arguments: [
        "", " ", "nul", "[]", "\"Join\"", "42", "null", "true", "{", "}", "{\"type\":\"Join\"", "{'type':'Join'}",
        "{\"type\":\"Leave\",\"room_name\":\"r\",}", "{\"type\":\"Leave\",\"room_name\":\"r\"} x",
        "{\"type\":\"Leave\" \"room_name\":\"r\"}", "\u{FEFF}{\"type\":\"Leave\",\"room_name\":\"r\"}",
        "{\"type\":\"Leave\",\"room_name\":\"r\"}{}",
    ])
    func notAJSONObjectIsABadMessage(text: String) {
        #expect(rejection(text) == .badMessage)
    }

    @Test func typeProblemsAreBadMessages() {
        #expect(decodeError(#"{"room_name":"r"}"#) == .badMessage("missing field type"))
        #expect(decodeError(#"{"type":1,"room_name":"r"}"#) == .badMessage("field type must be a string"))
        #expect(decodeError(#"{"type":null,"room_name":"r"}"#) == .badMessage("field type must be a string"))
        #expect(decodeError(#"{"type":"join","room_name":"r"}"#) == .badMessage("unknown message type join"))
        #expect(decodeError(#"{"type":"RoomJoined","room_name":"r"}"#)?.code == .badMessage)
        #expect(decodeError(#"{"type":"Join\u0000","room_name":"r"}"#) == .badMessage("unknown message type"))
        #expect(decodeError(#"{"type":"","room_name":"r"}"#) == .badMessage("unknown message type"))
    }

    @Test(arguments: [
        (#"{"type":"Join","username":"a"}"#, "missing field room_name"),
        (#"{"type":"Join","room_name":"r"}"#, "missing field username"),
        (#"{"type":"Join","room_name":5,"username":"a"}"#, "field room_name must be a string"),
        (#"{"type":"Join","room_name":"r","username":null}"#, "field username must be a string"),
        (#"{"type":"Join","room_name":"r","username":"a","token":7}"#, "field token must be a string"),
        (#"{"type":"Join","room_name":"r","username":"a","token":null}"#, "field token must be a string"),
        (#"{"type":"Leave"}"#, "missing field room_name"),
        (#"{"type":"Leave","room_name":["r"]}"#, "field room_name must be a string"),
        (#"{"type":"Offer","room_name":"r","target_user_id":2}"#, "missing field sdp"),
        (#"{"type":"Offer","room_name":"r","sdp":{},"target_user_id":2}"#, "field sdp must be a string"),
        (#"{"type":"Offer","room_name":"r","sdp":"x"}"#, "missing field target_user_id"),
        (#"{"type":"Answer","room_name":"r","sdp":null,"target_user_id":2}"#, "field sdp must be a string"),
        (#"{"type":"IceCandidate","room_name":"r","target_user_id":2}"#, "missing field candidate"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":null,"target_user_id":2}"#,
            "field candidate must be a string"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","sdp_mid":0,"target_user_id":2}"#,
            "field sdp_mid must be a string or null"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","sdp_mline_index":"0","target_user_id":2}"#,
            "field sdp_mline_index must be an integer in 0...65535 or null"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","sdp_mline_index":0.0,"target_user_id":2}"#,
            "field sdp_mline_index must be an integer in 0...65535 or null"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","sdp_mline_index":-1,"target_user_id":2}"#,
            "field sdp_mline_index must be an integer in 0...65535 or null"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","sdp_mline_index":65536,"target_user_id":2}"#,
            "field sdp_mline_index must be an integer in 0...65535 or null"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","username_fragment":null,"target_user_id":2}"#,
            "field username_fragment must be a string"),
        (#"{"type":"IceCandidate","room_name":"r","candidate":"c","username_fragment":1,"target_user_id":2}"#,
            "field username_fragment must be a string"),
    ])
    func missingOrMistypedFieldsAreNamed(text: String, message: String) {
        #expect(decodeError(text) == .badMessage(message))
    }

    @Test func iceCandidateOptionalFieldsMayBeAbsentOrNull() throws {
        let absent = #"{"type":"IceCandidate","room_name":"r","candidate":"","target_user_id":2}"#
        let nulls =
            #"{"type":"IceCandidate","room_name":"r","candidate":"","sdp_mid":null,"sdp_mline_index":null,"target_user_id":2}"#
        let expected = ClientMessage.iceCandidate(room: "r", candidate: IceCandidate(candidate: ""), target: 2)
        #expect(try ClientMessage.decode(absent) == expected)
        #expect(try ClientMessage.decode(nulls) == expected)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let text =
            #"{"extra":{"deep":[1,2,{"x":null}]},"type":"Leave","from_user_id":5,"room_name":"r","n":1.5e300}"#
        #expect(try ClientMessage.decode(text) == .leave(room: "r"))
    }

    @Test func duplicateKeysAreBadMessages() {
        #expect(rejection(#"{"type":"Leave","room_name":"a","room_name":"b"}"#) == .badMessage)
        #expect(rejection(#"{"type":"Leave","type":"Leave","room_name":"a"}"#) == .badMessage)
    }

    // MARK: room names

    @Test(arguments: [
        "", "room 1", "room/1", "room:1", "röom", "room*", "a\u{0}", "\u{202E}abc", String(repeating: "a", count: 65),
        "r\u{FF0E}", "tab\there",
    ])
    func badRoomNamesAreRejectedInEveryMessageType(room: String) {
        let name = quoted(room)
        let texts = [
            #"{"type":"Join","room_name":\#(name),"username":"alice"}"#,
            #"{"type":"Leave","room_name":\#(name)}"#,
            #"{"type":"Offer","room_name":\#(name),"sdp":"x","target_user_id":2}"#,
            #"{"type":"Answer","room_name":\#(name),"sdp":"x","target_user_id":2}"#,
            #"{"type":"IceCandidate","room_name":\#(name),"candidate":"c","target_user_id":2}"#,
        ]
        for text in texts {
            #expect(rejection(text) == .invalidRoomName, "\(text)")
        }
    }

    @Test func roomNameOfSixtyFourCharactersIsAccepted() throws {
        let room = String(repeating: "Az0_.-", count: 10) + "abcd"
        #expect(room.count == 64)
        #expect(try ClientMessage.decode(#"{"type":"Leave","room_name":"\#(room)"}"#) == .leave(room: room))
    }

    // MARK: usernames

    @Test(arguments: [
        ("al\u{202E}ice", "bidi override") as (String, String),
        ("al\u{200B}ice", "zero-width space"),
        ("al\u{2028}ice", "line separator"),
        ("al\u{2029}ice", "paragraph separator"),
        ("al\u{0007}ice", "bell"),
        ("al\u{0000}ice", "nul"),
        ("al\tice", "tab inside"),
        ("al\nice", "newline inside"),
        ("al\u{0085}ice", "next line inside"),
        ("al\u{007F}ice", "delete"),
        ("al\u{FEFF}ice", "byte order mark"),
        ("\u{0378}", "unassigned"),
        ("bob\u{E0080}", "unassigned in plane 14"),
        ("bob\u{FFFE}", "noncharacter FFFE"),
        ("bob\u{FFFF}", "noncharacter FFFF"),
        ("bob" + scalars(0xFDD0), "noncharacter FDD0"),
        ("bob" + scalars(0xFDEF), "noncharacter FDEF"),
        ("bob\u{1FFFE}", "noncharacter in plane 1"),
        ("bob\u{10FFFF}", "noncharacter in plane 16"),
        ("", "empty"),
        ("   ", "spaces only"),
        ("\u{3000}\t\n\u{00A0}", "white space only"),
        (String(repeating: "é", count: 65), "65 code points"),
        (String(repeating: "e\u{301}", count: 33), "66 code points in 33 characters"),
    ])
    func badUsernamesAreInvalidUsername(username: String, why: String) {
        let text = #"{"type":"Join","room_name":"room123","username":\#(quoted(username))}"#
        #expect(rejection(text) == .invalidUsername, "\(why)")
    }

    @Test func unpairedSurrogateInUsernameIsInvalidUsername() throws {
        for escape in [#"\ud800"#, #"\udc00"#, #"a\ud83d"#, #"\ud83d\u0041"#, #"\ude00\ud83d"#] {
            let text = #"{"type":"Join","room_name":"r","username":"\#(escape)"}"#
            #expect(rejection(text) == .invalidUsername, "\(escape)")
        }
        // A real U+FFFD is a legal character; only the flag makes the difference.
        #expect(try ClientMessage.decode(#"{"type":"Join","room_name":"r","username":"\ufffd"}"#)
            == .join(room: "r", username: "\u{FFFD}", token: nil))
    }

    @Test func unpairedSurrogatesElsewhere() throws {
        #expect(rejection(#"{"type":"Leave","room_name":"r\ud800"}"#) == .invalidRoomName)
        #expect(
            decodeError(#"{"type":"Offer","room_name":"r","sdp":"\ud800","target_user_id":2}"#)
                == .badMessage("field sdp contains an unpaired surrogate escape"))
        #expect(rejection(#"{"type":"IceCandidate","room_name":"r","candidate":"\udfff","target_user_id":2}"#)
            == .badMessage)
        #expect(rejection(#"{"type":"Join","room_name":"r","username":"a","token":"\ud800"}"#) == .badMessage)
        #expect(rejection(#"{"type":"J\ud800","room_name":"r"}"#) == .badMessage)
        #expect(rejection(#"{"type":"Leave","room_name":"r","\ud800":1}"#) == .badMessage)
        // In a field the message type does not read, it is ignored like the field.
        #expect(try ClientMessage.decode(#"{"type":"Leave","room_name":"r","sdp":"\ud800"}"#) == .leave(room: "r"))
    }

    @Test func usernamesAreTrimmedAndTheTrimmedNameIsReturned() throws {
        let cases: [(String, String)] = [
            ("  alice  ", "alice"),
            ("\u{3000}bob\u{3000}", "bob"),
            ("\t\n\u{00A0}\u{2003}carol\u{0085}\u{205F}", "carol"),
            ("Ana María", "Ana María"),
            ("  二 三  ", "二 三"),
            ("😀", "😀"),
            (String(repeating: "é", count: 64), String(repeating: "é", count: 64)),
            ("  " + String(repeating: "x", count: 64) + "\u{3000}", String(repeating: "x", count: 64)),
            (String(repeating: "😀", count: 64), String(repeating: "😀", count: 64)),
            ("\u{E000}private", "\u{E000}private"),
        ]
        for (raw, trimmed) in cases {
            let message = try ClientMessage.decode(
                #"{"type":"Join","room_name":"room123","username":\#(quoted(raw))}"#)
            guard case .join(_, let username, _) = message else {
                Issue.record("\(message)")
                continue
            }
            #expect(Array(username.utf8) == Array(trimmed.utf8), "\(raw)")
        }
    }

    // MARK: order of checks

    @Test func shapeIsCheckedBeforeNames() {
        // Bad room name and a missing field: the shape problem wins.
        #expect(rejection(#"{"type":"Offer","room_name":"bad room","target_user_id":2}"#) == .badMessage)
        #expect(rejection(#"{"type":"Offer","room_name":"bad room","sdp":"x","target_user_id":2.0}"#) == .badMessage)
        #expect(rejection(#"{"type":"Join","room_name":"bad room","username":"\u200b","token":1}"#) == .badMessage)
    }

    @Test func roomNameIsCheckedBeforeUsername() {
        #expect(rejection(#"{"type":"Join","room_name":"bad room","username":"\u200b"}"#) == .invalidRoomName)
    }

    // MARK: size

    /// Builds an Offer whose encoding is exactly `size` bytes.
    private func offer(ofSize size: Int) -> [UInt8] {
        let prefix = #"{"type":"Offer","room_name":"room123","sdp":""#
        let suffix = #"","target_user_id":1002}"#
        let padding = size - prefix.utf8.count - suffix.utf8.count
        return Array((prefix + String(repeating: "a", count: padding) + suffix).utf8)
    }

    @Test func exactlySixtyFourKiBIsAccepted() throws {
        let bytes = offer(ofSize: 65_536)
        #expect(bytes.count == Limits.maxMessageBytes)
        let message = try ClientMessage.decode(bytes)
        #expect(message.target == 1002)
    }

    @Test func oneByteMoreIsTooLarge() {
        let bytes = offer(ofSize: 65_537)
        #expect(rejection(bytes) == .tooLarge)
        #expect(decodeError(String(decoding: bytes, as: UTF8.self)) == .tooLarge)
    }

    @Test func sizeIsCheckedBeforeShape() {
        #expect(rejection([UInt8](repeating: 0xFF, count: 65_537)) == .tooLarge)
        #expect(rejection([UInt8](repeating: 0xFF, count: 65_536)) == .badMessage)
    }

    @Test func sizeCountsUTF8BytesNotCharacters() {
        // 21,846 three-byte characters: about 21,900 characters but more than 65,536 bytes.
        let text = #"{"type":"Offer","room_name":"r","sdp":""# + String(repeating: "€", count: 21_846)
            + #"","target_user_id":2}"#
        #expect(text.count < 65_536 && text.utf8.count > 65_536)
        #expect(rejection(text) == .tooLarge)
    }
}
