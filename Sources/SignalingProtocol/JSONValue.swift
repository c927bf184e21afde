/// A parsed JSON document, kept close to its text.
///
/// Hand-written rather than `JSONDecoder` because the contract needs facts that `Codable` erases: whether a number
/// was written `2`, `2.0` or `2e0` (only the first is a valid `target_user_id`), and whether a field was absent or
/// `null`. Numbers therefore keep their literal text, and objects keep their members in document order.
public enum JSONValue: Sendable, Equatable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    /// The number's literal text exactly as written (already checked against the JSON number grammar).
    case number(String)
    case bool(Bool)
    case null
}

/// A JSON object's members in document order.
///
/// Duplicate keys are rejected by the parser (see `JSONParser`), so `subscript(key)` is unambiguous: two readers of
/// the same bytes can never disagree about a field's value.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }

    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    /// The value of the first member whose key has exactly these UTF-8 bytes.
    ///
    /// Byte comparison, not `String ==`: Swift's string equality is canonical equivalence, under which a key
    /// written with U+212A KELVIN SIGN would match "K".
    public subscript(key: String) -> JSONValue? {
        var wanted = key
        return wanted.withUTF8 { wantedBytes in
            for member in members where member.key.utf8.count == wantedBytes.count {
                var candidate = member.key
                if candidate.withUTF8({ $0.elementsEqual(wantedBytes) }) { return member.value }
            }
            return nil
        }
    }
}

extension JSONValue {
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The literal text of a number.
    public var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of a number written as a plain integer literal (no fraction, no exponent) that fits in `Int`.
    /// `2.0` and `2e0` are nil: the contract distinguishes how an integer was written, not only its value.
    public var integerValue: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }
}
