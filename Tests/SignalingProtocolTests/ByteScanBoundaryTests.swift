import Testing
@testable import SignalingProtocol

/// The parser and writer skip eight bytes at a time; these tests put every kind of special byte at every offset
/// around the word boundaries and compare against a byte-at-a-time reference.
@Suite("Word-at-a-time scanning boundaries")
struct ByteScanBoundaryTests {
    /// JSON.stringify's escaping, one scalar at a time.
    private func referenceQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static let specials: [String] = ["\"", "\\", "\n", "\u{0}", "\u{1F}", " ", "\u{7F}", "é", "€", "😀", "/"]

    @Test(arguments: specials)
    func specialAtEveryOffset(special: String) throws {
        for length in 0...20 {
            for offset in 0...length {
                var text = String(repeating: "a", count: length)
                text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: offset))
                let quoted = JSONValue.string(text).serialized()
                #expect(quoted == referenceQuoted(text), "length \(length) offset \(offset)")
                let parsed = try JSONValue(parsing: quoted)
                #expect(parsed.stringValue.map { Array($0.utf8) } == Array(text.utf8))
                // And the same after an escape, through the parser's slow path.
                let afterEscape = try JSONValue(parsing: "\"\\t" + quoted.dropFirst())
                #expect(afterEscape.stringValue.map { Array($0.utf8) } == Array(("\t" + text).utf8))
            }
        }
    }

    @Test func invalidUTF8IsFoundInsideAnOtherwisePlainWord() {
        for offset in 0..<17 {
            var bytes = Array(#""aaaaaaaaaaaaaaaaaaaaaaaa""#.utf8)
            bytes[1 + offset] = 0xFF
            #expect((try? JSONValue(parsing: bytes)) == nil, "offset \(offset)")
            bytes[1 + offset] = 0x01
            #expect((try? JSONValue(parsing: bytes)) == nil, "offset \(offset)")
        }
    }

    @Test func largeRoomJoinedDecodesPastTheClientLimit() throws {
        let participants = (1...3_000).map { Participant(userID: UserID($0), username: "participant-\($0)") }
        let message = ServerMessage.roomJoined(room: "big", userID: 5_000, participants: participants)
        let text = message.encoded()
        #expect(text.utf8.count > Limits.maxMessageBytes)
        #expect(try ServerMessage.decode(text) == message)
    }
}
