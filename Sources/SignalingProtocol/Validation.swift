/// The name and id rules of PROTOCOL.md §1 "Validation", as pure functions so that the decoder, the server's
/// configuration (NODE_ID), token checks and the CLI all apply the same rule.
public enum Validation {
    /// Room names and node ids: 1–64 of `A–Z a–z 0–9 _ . -`.
    ///
    /// Deliberately ASCII-only: these names become parts of Redis keys and channel names
    /// (`rooms:{room_id}:participants`), where `:`, `*`, `?`, `[` or white space would break the key scheme or a
    /// `SCAN … MATCH` pattern.
    public static func isValidIdentifier(_ text: some StringProtocol) -> Bool {
        let utf8 = text.utf8
        guard (1...Limits.maxNameLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy(isIdentifierByte)
    }

    /// A room name follows the identifier rule; the separate name keeps call sites readable.
    public static func isValidRoomName(_ text: some StringProtocol) -> Bool {
        isValidIdentifier(text)
    }

    @inline(__always)
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The username as it will be stored and shown, or nil when it breaks the rules.
    ///
    /// Trims Unicode White_Space at both ends (so U+3000 and NBSP go too), then requires 1–64 code points none of
    /// which is a control (Cc), format (Cf: bidi overrides, zero-width marks), line/paragraph separator (Zl, Zp),
    /// surrogate (Cs), noncharacter or unassigned (Cn) code point. These are the characters that let one name
    /// impersonate another or scramble the text around it in a UI. No Unicode normalization is applied: the
    /// contract says the trimmed name is the one shown, so the client's bytes are kept.
    public static func normalizedUsername(_ raw: String) -> String? {
        let scalars = raw.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return nil }
        // A non-white-space scalar exists, so lastIndex finds one at or after `first`.
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        let trimmed = scalars[first...last]

        var count = 0
        for scalar in trimmed {
            count += 1
            guard count <= Limits.maxNameLength, isAllowedInUsername(scalar) else { return nil }
        }
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) {
            return raw
        }
        return String(trimmed)
    }

    /// Whether a single code point may appear inside a username (white space included: "Ana María" is a name).
    public static func isAllowedInUsername(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isNoncharacterCodePoint { return false }
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned:
            return false
        default:
            return true
        }
    }

    public static func isValidUserID(_ id: UserID) -> Bool {
        Limits.userIDRange.contains(id)
    }

    /// Parses a user id written in canonical decimal: digits only, no sign, no leading zero, in
    /// `Limits.userIDRange`. This is the form of `target_user_id` on the wire, of Redis hash fields and of a token's
    /// `sub`; accepting only one spelling per id means two texts for the same user never compare unequal.
    public static func parseUserID(_ text: some StringProtocol) -> UserID? {
        parseUserID(utf8: text.utf8)
    }

    static func parseUserID(utf8: some Collection<UInt8>) -> UserID? {
        // 2^53 − 1 has 16 digits; rejecting longer texts first also rules out overflow below.
        guard let first = utf8.first, first != UInt8(ascii: "0"), utf8.count <= 16 else { return nil }
        var value: UserID = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UserID(byte &- UInt8(ascii: "0"))
        }
        return value <= Limits.maxUserID ? value : nil
    }
}
