@testable import SignalingProtocol

/// Decodes a client message and returns the error code, or nil when it was accepted.
func rejection(_ text: String) -> ErrorCode? {
    rejection(Array(text.utf8))
}

func rejection(_ bytes: [UInt8]) -> ErrorCode? {
    do {
        _ = try ClientMessage.decode(bytes)
        return nil
    } catch {
        return error.code
    }
}

func decodeError(_ text: String) -> ProtocolError? {
    do {
        _ = try ClientMessage.decode(text)
        return nil
    } catch {
        return error
    }
}

/// A JSON string literal with JSON.stringify-style escaping, for building test inputs.
func quoted(_ text: String) -> String {
    JSONValue.string(text).serialized()
}

/// A small deterministic generator so that fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A string from code point values, for code points Swift refuses as `\u{…}` literals (e.g. U+FDD0).
func scalars(_ values: UInt32...) -> String {
    var text = ""
    for value in values { text.unicodeScalars.append(Unicode.Scalar(value)!) }
    return text
}
