/// A Redis reply, as RESP2 defines it.
///
/// Bulk strings stay bytes (`[UInt8]`) because Redis values are binary-safe; the accessors below
/// decode them as UTF-8 only when the caller asks for text.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    case null
    case array([RESPValue])
}

extension RESPValue {
    /// The value as text: simple and bulk strings (bulk as UTF-8, invalid bytes repaired), integers in decimal.
    public var string: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let b): return String(decoding: b, as: UTF8.self)
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// The value as an integer: integer replies, and strings that hold a decimal integer (GET of a counter).
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return string.flatMap { Int64($0) }
        default: return nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): return b
        case .simpleString(let s): return Array(s.utf8)
        default: return nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The error text when the reply is an error reply.
    public var errorMessage: String? {
        if case .error(let e) = self { return e }
        return nil
    }

    /// A flat array of strings (HGETALL, SMEMBERS, ...); nil elements become nil.
    public var stringArray: [String?]? {
        array?.map { $0.isNull ? nil : $0.string }
    }
}

extension RESPValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .simpleString(let s): return s
        case .error(let e): return "(error) \(e)"
        case .integer(let i): return "(integer) \(i)"
        case .bulkString(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
        case .null: return "(nil)"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
