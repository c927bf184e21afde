import Testing
@testable import SignalingProtocol

@Suite("Validation rules")
struct ValidationTests {
    @Test func identifiers() {
        #expect(Validation.isValidIdentifier("room123"))
        #expect(Validation.isValidIdentifier("signaling-1"))
        #expect(Validation.isValidIdentifier("A.b_c-D"))
        #expect(Validation.isValidIdentifier(String(repeating: "x", count: 64)))
        #expect(!Validation.isValidIdentifier(String(repeating: "x", count: 65)))
        #expect(!Validation.isValidIdentifier(""))
        #expect(!Validation.isValidIdentifier("host name"))
        #expect(!Validation.isValidIdentifier("rooms:1"))
        #expect(!Validation.isValidIdentifier("a*"))
        #expect(!Validation.isValidIdentifier("ünïcode"))
        #expect(!Validation.isValidIdentifier("a\u{0}"))
        #expect(Validation.isValidIdentifier("xroom123x".dropFirst().dropLast()))
        #expect(Validation.isValidRoomName("room123"))
    }

    @Test func usernameNormalization() {
        #expect(Validation.normalizedUsername("alice") == "alice")
        #expect(Validation.normalizedUsername(" alice\u{3000}") == "alice")
        #expect(Validation.normalizedUsername("a b") == "a b")
        #expect(Validation.normalizedUsername("a\u{200D}b") == nil)
        #expect(Validation.normalizedUsername("a\u{E0001}b") == nil)  // language tag, Cf
        #expect(Validation.normalizedUsername("\u{3000}") == nil)
        #expect(Validation.normalizedUsername(String(repeating: "z", count: 64))?.unicodeScalars.count == 64)
        #expect(Validation.normalizedUsername(String(repeating: "z", count: 65)) == nil)
        #expect(Validation.isAllowedInUsername(" "))
        #expect(!Validation.isAllowedInUsername(Unicode.Scalar(0xFDEF)!))
        #expect(Validation.isAllowedInUsername(Unicode.Scalar(0xFDF0)!))
    }

    @Test func userIDs() {
        #expect(Limits.maxUserID == 9_007_199_254_740_991)
        #expect(Limits.maxMessageBytes == 65_536)
        #expect(Validation.isValidUserID(1))
        #expect(Validation.isValidUserID(Limits.maxUserID))
        #expect(!Validation.isValidUserID(0))
        #expect(!Validation.isValidUserID(Limits.maxUserID + 1))
        #expect(Validation.parseUserID("1001") == 1001)
        #expect(Validation.parseUserID("9007199254740991") == Limits.maxUserID)
        for text in ["", "0", "0042", "-1", "+1", "1.0", "1e3", " 1", "1 ", "9007199254740992", "99999999999999999999",
            "١٢"]
        {
            #expect(Validation.parseUserID(text) == nil, "\(text)")
        }
    }
}
