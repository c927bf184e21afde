/// Typed access to a message object's fields, turning every shape problem into a `bad_message` that names the
/// field. Shared by both message directions so that client and server messages follow one set of typing rules:
/// - a required field must be present with its type;
/// - an optional field may be absent, but when present it must have its type (`null` is not a string);
/// - a nullable field (`sdp_mid`, `sdp_mline_index`) may be absent or `null`, both meaning nil;
/// - integers must be written as integer literals, without fraction or exponent.
struct FieldReader {
    let object: JSONObject
    /// Top-level keys whose values held an unpaired surrogate escape, replaced by U+FFFD in `object`.
    private let keysWithUnpairedSurrogates: [String]

    init(_ object: JSONObject, keysWithUnpairedSurrogates: [String] = []) {
        self.object = object
        self.keysWithUnpairedSurrogates = keysWithUnpairedSurrogates
    }

    /// Parses a JSON text that must be an object. `context` names the text in error messages.
    ///
    /// With `flaggingUnpairedSurrogates`, a string value holding an unpaired surrogate escape does not fail the
    /// parse: the string accessors then reject that field as `bad_message` unless the caller asks for a name
    /// (`allowingUnpairedSurrogates`) and checks `hasUnpairedSurrogates` in its name phase.
    static func parsing(
        _ bytes: some Collection<UInt8>, context: String, flaggingUnpairedSurrogates: Bool = false
    ) throws(ProtocolError) -> FieldReader {
        let parsed: (value: JSONValue, keysWithUnpairedSurrogates: [String])
        do {
            parsed = try withContiguousBytes(bytes) { buffer throws(JSONParseError) in
                if flaggingUnpairedSurrogates {
                    return try JSONParser.parseFlaggingUnpairedSurrogates(buffer, maxDepth: Limits.maxNestingDepth)
                }
                return (try JSONParser.parse(buffer, maxDepth: Limits.maxNestingDepth), [])
            }
        } catch {
            throw .badMessage("\(context) is not valid JSON: \(error)")
        }
        guard case .object(let object) = parsed.value else { throw .badMessage("\(context) must be a JSON object") }
        return FieldReader(object, keysWithUnpairedSurrogates: parsed.keysWithUnpairedSurrogates)
    }

    func hasUnpairedSurrogates(_ key: String) -> Bool {
        !keysWithUnpairedSurrogates.isEmpty && keysWithUnpairedSurrogates.contains(key)
    }

    private func checkSurrogates(_ key: String, allowed: Bool) throws(ProtocolError) {
        if !allowed && hasUnpairedSurrogates(key) {
            throw .badMessage("field \(key) contains an unpaired surrogate escape")
        }
    }

    /// The `type` tag, checked for presence and type; the caller decides whether it knows the value.
    func type() throws(ProtocolError) -> String {
        try requiredString("type")
    }

    func requiredString(_ key: String, allowingUnpairedSurrogates: Bool = false) throws(ProtocolError) -> String {
        guard let value = object[key] else { throw Self.missing(key) }
        guard case .string(let string) = value else { throw .badMessage("field \(key) must be a string") }
        try checkSurrogates(key, allowed: allowingUnpairedSurrogates)
        return string
    }

    func optionalString(_ key: String) throws(ProtocolError) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let string) = value else { throw .badMessage("field \(key) must be a string") }
        try checkSurrogates(key, allowed: false)
        return string
    }

    func nullableString(_ key: String) throws(ProtocolError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let string)?:
            try checkSurrogates(key, allowed: false)
            return string
        default: throw .badMessage("field \(key) must be a string or null")
        }
    }

    func nullableInteger(_ key: String, in range: ClosedRange<Int>) throws(ProtocolError) -> Int? {
        let value = object[key]
        if value == nil || value == .null { return nil }
        if case .number(let literal)? = value, let integer = Int(literal), range.contains(integer) {
            return integer
        }
        throw .badMessage("field \(key) must be an integer in \(range.lowerBound)...\(range.upperBound) or null")
    }

    /// A user id: an integer literal in 1…2^53−1. `2.0`, `2e0`, `"2"`, `true`, `0`, `-1` and 2^53 all fail.
    func userID(_ key: String) throws(ProtocolError) -> UserID {
        guard let value = object[key] else { throw Self.missing(key) }
        // The parser has checked the number grammar, so a literal of digits only is an integer without sign,
        // fraction or exponent, and `parseUserID` adds the range.
        if case .number(let literal) = value, let id = Validation.parseUserID(literal) {
            return id
        }
        throw .badMessage("field \(key) must be an integer in 1...\(Limits.maxUserID)")
    }

    func requiredObject(_ key: String) throws(ProtocolError) -> FieldReader {
        guard let value = object[key] else { throw Self.missing(key) }
        guard case .object(let nested) = value else { throw .badMessage("field \(key) must be an object") }
        return FieldReader(nested)
    }

    func requiredArray(_ key: String) throws(ProtocolError) -> [JSONValue] {
        guard let value = object[key] else { throw Self.missing(key) }
        guard case .array(let elements) = value else { throw .badMessage("field \(key) must be an array") }
        return elements
    }

    private static func missing(_ key: String) -> ProtocolError {
        .badMessage("missing field \(key)")
    }
}
