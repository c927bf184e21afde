/// A strict RFC 8259 parser over contiguous bytes.
///
/// Strict because the node reads untrusted input: every byte sequence is either a JSON text or an error, never a
/// crash and never a guess. Beyond the RFC it rejects, on purpose:
/// - duplicate object keys (keys equal as Swift strings), so no two readers can disagree about a field's value;
/// - `\u` escapes of unpaired surrogates, which a Swift `String` cannot hold (but see
///   `parseFlaggingUnpairedSurrogates`);
/// - invalid UTF-8 (overlong forms, encoded surrogates, code points past U+10FFFF, truncated sequences);
/// - nesting deeper than `maxDepth` arrays/objects, which bounds recursion;
/// - a byte-order mark, which no WebSocket client sends.
///
/// It reads from an `UnsafeBufferPointer` and builds strings straight from the input when they have no escapes, so
/// a typical client message costs one pass over its bytes plus one allocation per string.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private let flagUnpairedSurrogates: Bool
    private var index = 0
    /// How many unpaired surrogate escapes have been replaced so far (flagging mode only).
    private var unpairedSurrogateCount = 0
    /// Keys of the top-level object whose values contain an unpaired surrogate escape (flagging mode only).
    private var keysWithUnpairedSurrogates: [String] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, flagUnpairedSurrogates: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.flagUnpairedSurrogates = flagUnpairedSurrogates
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth, flagUnpairedSurrogates: false)
        return try parser.parseDocument()
    }

    /// Parses like `parse`, except that an unpaired surrogate escape in a string *value* is replaced by U+FFFD and
    /// the top-level key whose value held it is reported, instead of failing the whole text.
    ///
    /// The contract lists surrogates among the characters a username may not contain, and a JavaScript or Python
    /// client sends a lone surrogate as `"\ud800"`: that has to be reported as `invalid_username`, not as a
    /// malformed message. The caller decides per field; U+FFFD itself is a legal character, so the flag, not the
    /// replacement, carries the information. Unpaired surrogates in keys still fail the parse.
    static func parseFlaggingUnpairedSurrogates(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int
    ) throws(JSONParseError) -> (value: JSONValue, keysWithUnpairedSurrogates: [String]) {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth, flagUnpairedSurrogates: true)
        let value = try parser.parseDocument()
        return (value, parser.keysWithUnpairedSurrogates)
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected data after the JSON value") }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        index += 1  // {
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return JSONObject(members)
        }
        // Small objects check duplicates by scanning; past this size a set keeps a hostile 64 KiB object of
        // thousands of keys from costing quadratic time.
        let linearScanLimit = 12
        var seenKeys: Set<String>? = nil
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyOffset = index
            let surrogatesBeforeKey = unpairedSurrogateCount
            let key = try parseString()
            guard unpairedSurrogateCount == surrogatesBeforeKey else {
                throw JSONParseError(reason: "unpaired surrogate escape in an object key", offset: keyOffset)
            }
            if seenKeys != nil {
                guard seenKeys!.insert(key).inserted else {
                    throw JSONParseError(reason: "duplicate key", offset: keyOffset)
                }
            } else {
                guard !members.contains(where: { $0.key == key }) else {
                    throw JSONParseError(reason: "duplicate key", offset: keyOffset)
                }
                if members.count + 1 >= linearScanLimit {
                    seenKeys = Set(members.map(\.key) + [key])
                }
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            let surrogatesBeforeValue = unpairedSurrogateCount
            let value = try parseValue(depth: depth)
            if depth == 1 && unpairedSurrogateCount != surrogatesBeforeValue {
                keysWithUnpairedSurrogates.append(key)
            }
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return JSONObject(members)
            case nil:
                throw error("unexpected end of input")
            default:
                throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return elements
            case nil:
                throw error("unexpected end of input")
            default:
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// Checks the RFC 8259 number grammar and returns the literal text.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        switch peek() ?? 0 {
        case UInt8(ascii: "0"):
            index += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            skipDigits()
        default:
            throw error("invalid number")
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard isDigit(peek()) else { throw error("invalid number: expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { throw error("invalid number: expected a digit in the exponent") }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("invalid literal") }
        let matches = literal.withUTF8Buffer { expected in
            UnsafeBufferPointer(rebasing: bytes[index..<index + count]).elementsEqual(expected)
        }
        guard matches else { throw error("invalid literal") }
        index += count
    }

    // MARK: - Strings

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, so the string is a slice of the input.
        while index < bytes.count {
            index = ByteScan.skipPlainASCII(in: bytes, from: index, stoppingAtNonASCII: true)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            } else if byte == UInt8(ascii: "\\") {
                var decoded: [UInt8] = []
                decoded.reserveCapacity(index - start + 16)
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                return try parseEscapedRemainder(into: &decoded)
            } else if byte < 0x20 {
                throw error("unescaped control character in a string")
            } else if byte < 0x80 {
                index += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw error("unterminated string")
    }

    /// The slow path, once a backslash has been seen: decode into a buffer.
    private mutating func parseEscapedRemainder(into decoded: inout [UInt8]) throws(JSONParseError) -> String {
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                try parseEscape(into: &decoded)
            } else if byte < 0x20 {
                throw error("unescaped control character in a string")
            } else {
                // Copy a whole run of plain characters at once; per-byte appends dominate otherwise (SDP is
                // full of escaped CR LF).
                let runStart = index
                while index < bytes.count {
                    index = ByteScan.skipPlainASCII(in: bytes, from: index, stoppingAtNonASCII: true)
                    guard index < bytes.count else { break }
                    let plain = bytes[index]
                    if plain == UInt8(ascii: "\"") || plain == UInt8(ascii: "\\") || plain < 0x20 { break }
                    if plain < 0x80 { index += 1 } else { try skipUTF8Sequence() }
                }
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
        index += 1  // backslash
        guard let byte = peek() else { throw error("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = index - 2
            let unit = try parseHex4()
            var scalarValue = UInt32(unit)
            switch unit {
            case 0xD800...0xDBFF:
                // Look for the low half without committing: `\ud800\u0041` is an unpaired high surrogate
                // followed by an ordinary escape.
                let afterHigh = index
                if bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try parseHex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        break
                    }
                    index = afterHigh
                }
                scalarValue = try unpairedSurrogate(at: escapeStart)
            case 0xDC00...0xDFFF:
                scalarValue = try unpairedSurrogate(at: escapeStart)
            default:
                break
            }
            // Surrogates were replaced above, so every remaining value is a scalar.
            let scalar = Unicode.Scalar(scalarValue)!
            decoded.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw JSONParseError(reason: "invalid escape", offset: index - 2)
        }
    }

    /// Fails the parse, or in flagging mode counts the surrogate and returns U+FFFD to stand in for it.
    private mutating func unpairedSurrogate(at offset: Int) throws(JSONParseError) -> UInt32 {
        guard flagUnpairedSurrogates else {
            throw JSONParseError(reason: "unpaired surrogate escape", offset: offset)
        }
        unpairedSurrogateCount += 1
        return 0xFFFD
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// Advances over one well-formed multi-byte UTF-8 sequence (Unicode Table 3-7) or throws.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8")
        }
        guard bytes.count - index >= length, secondRange.contains(bytes[index + 1]) else {
            throw error("invalid UTF-8")
        }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
            throw error("invalid UTF-8")
        }
        index += length
    }

    // MARK: - Helpers

    @inline(__always)
    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            default:
                return
            }
        }
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }
}

extension JSONValue {
    /// Parses one JSON text from any byte collection (`[UInt8]`, `ArraySlice`, `String.UTF8View`, …). Contiguous
    /// storage is read in place; anything else is copied once.
    public init(
        parsing bytes: some Collection<UInt8>, maxDepth: Int = Limits.maxNestingDepth
    ) throws(JSONParseError) {
        self = try withContiguousBytes(bytes) { buffer throws(JSONParseError) in
            try JSONParser.parse(buffer, maxDepth: maxDepth)
        }
    }

    public init(parsing text: String, maxDepth: Int = Limits.maxNestingDepth) throws(JSONParseError) {
        try self.init(parsing: text.utf8, maxDepth: maxDepth)
    }

    /// For a buffer handed over by the network layer (e.g. `ByteBuffer.withUnsafeReadableBytes`).
    public init(
        parsing buffer: UnsafeRawBufferPointer, maxDepth: Int = Limits.maxNestingDepth
    ) throws(JSONParseError) {
        self = try buffer.withMemoryRebound(to: UInt8.self) { bytes throws(JSONParseError) in
            try JSONParser.parse(bytes, maxDepth: maxDepth)
        }
    }
}

/// Runs `body` over the collection's bytes in place when they are contiguous, over a copy otherwise, keeping the
/// typed error that `withContiguousStorageIfAvailable`'s untyped `rethrows` would erase.
func withContiguousBytes<Value, Failure: Error>(
    _ bytes: some Collection<UInt8>,
    _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Value
) throws(Failure) -> Value {
    func capture(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<Value, Failure> {
        do throws(Failure) {
            return .success(try body(buffer))
        } catch {
            return .failure(error)
        }
    }
    if let outcome = bytes.withContiguousStorageIfAvailable(capture) {
        return try outcome.get()
    }
    return try Array(bytes).withUnsafeBufferPointer(capture).get()
}
