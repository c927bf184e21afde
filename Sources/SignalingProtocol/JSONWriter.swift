/// Appends JSON text to a byte buffer.
///
/// The server encodes every outgoing frame with it, so it writes bytes directly instead of going through
/// `JSONEncoder`'s intermediate containers. String escaping matches JavaScript's `JSON.stringify`: `"` and `\`
/// are escaped, control characters below U+0020 become `\b \t \n \f \r` or `\u00xx` (lowercase hex), and
/// everything else — `/`, DEL, non-ASCII — is written as its UTF-8 bytes. A browser that re-serializes what it
/// received therefore produces the same bytes. The cluster's payloads (`ClusterState`) are written with it too.
public struct JSONWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far. The bytes are valid UTF-8 by construction (they come from Swift strings).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends pre-formed JSON syntax, such as `{"type":"Offer","room_name":`.
    @inline(__always)
    public mutating func raw(_ syntax: StaticString) {
        syntax.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var offset = 0
        while offset < utf8.count {
            let position = ByteScan.skipPlainASCII(in: utf8, from: offset, stoppingAtNonASCII: false)
            guard position < utf8.count else { break }
            let byte = utf8[position]
            offset = position + 1
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < position {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<position]))
            }
            runStart = position + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x22: bytes.append(UInt8(ascii: "\""))
            case 0x5C: bytes.append(UInt8(ascii: "\\"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            default:
                let hex: StaticString = "0123456789abcdef"
                bytes.append(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                hex.withUTF8Buffer { digits in
                    bytes.append(digits[Int(byte >> 4)])
                    bytes.append(digits[Int(byte & 0x0F)])
                }
            }
        }
        if runStart < utf8.count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
    }

    public mutating func integer(_ value: UInt64) {
        guard value != 0 else {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        // At most 20 decimal digits; write them backwards into a scratch tuple-sized buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var remaining = value
            var position = 20
            while remaining > 0 {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[position..<20]))
        }
    }

    public mutating func integer(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        integer(UInt64(value.magnitude))
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (offset, member) in object.members.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                string(member.key)
                bytes.append(UInt8(ascii: ":"))
                self.value(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .string(let text):
            string(text)
        case .number(let literal):
            // The literal came from the parser or from the caller; written as is so that `2.50` stays `2.50`.
            bytes.append(contentsOf: literal.utf8)
        case .bool(let flag):
            if flag { raw("true") } else { raw("false") }
        case .null:
            raw("null")
        }
    }

    /// A nullable string: `null` for nil.
    public mutating func nullableString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// A nullable integer: `null` for nil.
    public mutating func nullableInteger(_ value: Int?) {
        if let value { integer(value) } else { raw("null") }
    }
}

extension JSONValue {
    /// Compact JSON text (no spaces), members in their stored order.
    public func serialized() -> String {
        var writer = JSONWriter()
        writer.value(self)
        return writer.text
    }
}
