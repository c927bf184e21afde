import Testing
@testable import SignalingProtocol

@Suite("JSON parser and writer")
struct JSONValueTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: text)
    }

    private func parses(_ bytes: [UInt8]) -> Bool {
        (try? JSONValue(parsing: bytes)) != nil
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" { "b" : [1, -2.5e+3, 0.0, true, false, null, "s", {}, []], "a": {"x": "y"} } "#)
        let expected = JSONValue.object([
            "b": .array([
                .number("1"), .number("-2.5e+3"), .number("0.0"), .bool(true), .bool(false), .null, .string("s"),
                .object([:]), .array([]),
            ]),
            "a": .object(["x": .string("y")]),
        ])
        #expect(value == expected)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value.serialized() == #"{"b":[1,-2.5e+3,0.0,true,false,null,"s",{},[]],"a":{"x":"y"}}"#)
    }

    @Test func numbersKeepTheirLiteralText() throws {
        for literal in ["2", "2.0", "2e0", "2E+0", "-0", "0.5", "1e-7", "9007199254740993", "123456789012345678901234"] {
            #expect(try parse(literal) == .number(literal))
        }
        #expect(try parse("2").integerValue == 2)
        #expect(try parse("2.0").integerValue == nil)
        #expect(try parse("2e0").integerValue == nil)
    }

    @Test(arguments: [
        "01", "-", "-a", "1.", ".5", "1e", "1e+", "+1", "0x10", "1_000", "NaN", "Infinity", "-Infinity", "1.5.2",
        "--1", "00",
    ])
    func rejectsMalformedNumbers(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test(arguments: [
        "", "   ", "tru", "truee", "nul", "True", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\" 1}", "{a:1}",
        "['a']", "[1 2]", "\"abc", "\"a\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"tab\there\"", "\"nl\nx\"",
        "[1]]", "{}{}", "/* c */ 1", "\u{FEFF}1", "\u{00A0}1",
    ])
    func rejectsMalformedTexts(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func decodesEscapes() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\tAé€😀\u{0}"))
    }

    @Test func strictParsingRejectsUnpairedSurrogates() {
        for text in [#""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800\ud800""#, #""\ud800x""#] {
            #expect(throws: JSONParseError.self, "\(text)") { try parse(text) }
        }
    }

    @Test func rejectsDuplicateKeysInSmallAndLargeObjects() {
        #expect(throws: JSONParseError.self) { try parse(#"{"a":1,"a":2}"#) }
        let many = (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect((try? parse("{\(many)}")) != nil)
        #expect(throws: JSONParseError.self) { try parse("{\(many),\"k3\":0}") }
        #expect(throws: JSONParseError.self) { try parse("{\(many),\"k39\":0}") }
    }

    @Test func lookupComparesKeyBytesNotCanonicalEquivalence() throws {
        // U+212A KELVIN SIGN is canonically equivalent to "K" but is a different key.
        let object = try #require(try parse(#"{"\u212A":1}"#).objectValue)
        #expect(object["K"] == nil)
        #expect(object["\u{212A}"] == .number("1"))
    }

    @Test func nestingIsCappedAtSixtyFourLevels() {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect((try? parse(ok)) != nil)
        #expect(throws: JSONParseError.self) { try parse(tooDeep) }
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(throws: JSONParseError.self) { try parse(objects) }
    }

    @Test func hugeNestingDoesNotCrash() {
        #expect(!parses(Array(repeating: UInt8(ascii: "["), count: 200_000)))
        #expect(!parses(Array(String(repeating: #"{"a":"#, count: 50_000).utf8)))
        let message = #"{"type":"Leave","room_name":"r","x":"# + String(repeating: "[", count: 30_000)
        #expect(rejection(message) == .badMessage)
    }

    @Test func rejectsInvalidUTF8() {
        let invalid: [[UInt8]] = [
            [0xFF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xBF],
            [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x98], [0xC3], [0xFE], [0xE2, 0x28, 0xA1],
        ]
        for sequence in invalid {
            let inString = Array(#"{"type":"Leave","room_name":"r","x":"a"#.utf8) + sequence + Array(#""}"#.utf8)
            #expect(!parses(inString), "\(sequence)")
            #expect(rejection(inString) == .badMessage, "\(sequence)")
            let escapedDoesNotHelp = Array(#"["\"#.utf8) + sequence + Array(#""]"#.utf8)
            #expect(!parses(escapedDoesNotHelp))
            #expect(!parses(sequence))
        }
    }

    @Test func acceptsValidMultibyteUTF8AtEveryLength() throws {
        for text in ["é", "€", "😀", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}", "\u{D7FF}",
            "\u{E000}"]
        {
            #expect(try parse(quoted(text)) == .string(text))
            // Also straight after an escape, through the slow path.
            #expect(try parse("\"\\n" + text + "\"") == .string("\n" + text))
        }
    }

    @Test func everyTruncationOfAValidMessageIsABadMessage() throws {
        let full = ClientMessage.iceCandidate(
            room: "room123",
            candidate: IceCandidate(candidate: "cand \"é😀\" \u{1}", sdpMid: "0", sdpMLineIndex: 3, usernameFragment: "u"),
            target: 1002
        ).encoded()
        let bytes = Array(full.utf8)
        #expect((try? ClientMessage.decode(bytes)) != nil)
        for length in 0..<bytes.count {
            #expect(rejection(Array(bytes[..<length])) == .badMessage, "prefix of \(length) bytes")
        }
    }

    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(state: 0x5EED)
        let alphabet = Array(#"{}[]":,\u0123456789abcdef-+.eE tnrufls"#.utf8) + [0x00, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<48, using: &random)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            let code = rejection(bytes)
            #expect(code == nil || code == .badMessage || code == .invalidRoomName || code == .invalidUsername)
        }
    }

    @Test func mutatedMessagesNeverCrash() {
        var random = SplitMix64(state: 42)
        let seeds = [
            ClientMessage.join(room: "room123", username: "alice", token: "tok").encoded(),
            ClientMessage.iceCandidate(
                room: "r", candidate: IceCandidate(candidate: "c\u{1}é", sdpMid: "0", sdpMLineIndex: 0), target: 5
            ).encoded(),
            #"{"type":"Offer","room_name":"r","sdp":"\ud83d\ude00\u0000\n","target_user_id":2}"#,
        ].map { Array($0.utf8) }
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
                }
                if bytes.isEmpty { break }
            }
            do {
                let message = try ClientMessage.decode(bytes)
                accepted += 1
                // Whatever was accepted must survive its own round trip.
                #expect(try ClientMessage.decode(message.encoded()) == message)
            } catch {
                #expect(error.code != .tooLarge)
            }
        }
        #expect(accepted > 0)
    }

    @Test func writerEscapesLikeJSONStringify() {
        var controls = ""
        for value in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        #expect(
            JSONValue.string(controls).serialized()
                == #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f""#
        )
        #expect(JSONValue.string("/ \" \\ é 😀 \u{7F} \u{2028}").serialized() == "\"/ \\\" \\\\ é 😀 \u{7F} \u{2028}\"")
        #expect(JSONValue.string("").serialized() == #""""#)
    }

    @Test func writerRoundTripsThroughTheParser() throws {
        let value = JSONValue.object([
            "s": .string("line\r\nquote\"back\\slash\u{0}😀"),
            "n": .number("-1.5e10"),
            "a": .array([.null, .bool(true), .object(["k": .string("v")])]),
        ])
        #expect(try parse(value.serialized()) == value)
    }

    @Test func integersAreWrittenExactly() {
        for value: UInt64 in [0, 1, 9, 10, 99, 100, 1001, 4_294_967_296, Limits.maxUserID, UInt64.max] {
            var writer = JSONWriter()
            writer.integer(value)
            #expect(writer.text == String(value))
        }
        for value in [Int.min, -1, 0, 65_535, Int.max] {
            var writer = JSONWriter()
            writer.integer(value)
            #expect(writer.text == String(value))
        }
    }

    @Test func rawBufferInputParses() throws {
        let bytes = Array(#"{"a":[1]}"#.utf8)
        let value = try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONValue(parsing: buffer) }
        #expect(value == .object(["a": .array([.number("1")])]))
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: empty) }
    }

    @Test func errorsReportTheOffset() {
        do {
            _ = try parse(#"{"a":1,}"#)
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description == "expected a string key at byte 7")
        }
    }
}
