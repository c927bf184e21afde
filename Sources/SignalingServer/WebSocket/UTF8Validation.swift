/// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), as RFC 6455 §8.1
/// requires of every text message: one that fails closes the connection with 1007.
///
/// A loop over the bytes with an ASCII fast path, because every message a node receives passes through it and
/// signaling traffic (JSON, SDP) is almost all ASCII.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            // Eight ASCII bytes at a time.
            if i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let needed: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: needed = 1
            case 0xE0: needed = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: needed = 2
            case 0xED: needed = 2; upper = 0x9F
            case 0xF0: needed = 3; lower = 0x90
            case 0xF1...0xF3: needed = 3
            case 0xF4: needed = 3; upper = 0x8F
            default: return false
            }
            guard i + needed < n else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= lower, b1 <= upper else { return false }
            var k = 2
            while k <= needed {
                guard bytes[i + k] & 0xC0 == 0x80 else { return false }
                k += 1
            }
            i += needed + 1
        }
        return true
    }
}
