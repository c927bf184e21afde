/// The value syntaxes of PROTOCOL.md §4, as pure functions: durations (`10`, `10s`, `500ms`), booleans
/// (`true/false/1/0/yes/no` in any case) and plain integers.
public enum ValueParsers {
    /// Seconds as a number (`10`, `0.5`) or a number with a unit: `ms`, `s`, `m`, `h`. Nil for anything else,
    /// negative values included.
    public static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingASCIIWhitespace()
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        var number = Substring(trimmed)
        var scale = 1e9
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.nanoseconds
            break
        }
        // Digits with at most one decimal point; no sign, exponent, "inf" or "nan".
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            number.filter({ $0 == "." }).count <= 1, number != ".",
            let value = Double(number)
        else { return nil }
        let nanoseconds = value * scale
        guard nanoseconds.isFinite, nanoseconds < 1e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// `true/false/1/0/yes/no`, any case.
    public static func boolean(_ text: String) -> Bool? {
        switch text.trimmingASCIIWhitespace().lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }

    /// A decimal integer in `range` (an optional `_` or `,` grouping is not accepted: `50000`, not `50,000`).
    public static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(trimmed),
            range.contains(value)
        else { return nil }
        return value
    }

    /// A positive decimal number (`50`, `12.5`).
    public static func positiveNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(trimmed), value.isFinite, value > 0
        else { return nil }
        return value
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}

extension Duration {
    /// "10s", "500ms", "1.5s": how durations are written back in logs and errors.
    var compactDescription: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds)s" }
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        if milliseconds < 1000, milliseconds == milliseconds.rounded() { return "\(Int(milliseconds))ms" }
        return "\(Double(seconds) + Double(attoseconds) / 1e18)s"
    }

    /// Whole and fractional seconds, for arithmetic that `Duration` does not offer.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
