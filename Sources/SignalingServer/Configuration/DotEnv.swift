/// The `.env` file syntax of PROTOCOL.md §4.
///
/// Written here rather than taken from swift-configuration because that parser keeps quotes in values, drops
/// `export` lines and keeps inline comments (FACTS.md), and operators write exactly those.
///
/// - `KEY=value`, optionally prefixed by `export `; blank lines and lines starting with `#` are skipped.
/// - `'single'` quotes are literal; `"double"` quotes understand `\n`, `\"` and `\\`; both may span lines.
/// - Outside quotes, ` #` (white space, then `#`) starts a comment; the unquoted value is trimmed.
/// - A later assignment of the same key wins.
public enum DotEnv {
    public static func parse(_ text: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        var scanner = Scanner(Array(text.unicodeScalars))
        while !scanner.atEnd {
            let lineNumber = scanner.line
            scanner.skip { $0 == " " || $0 == "\t" || $0 == "\r" }
            if scanner.atEnd { break }
            if scanner.peek == "\n" || scanner.peek == "#" {
                scanner.skipLine()
                continue
            }
            var key = scanner.take { isKeyScalar($0) }
            if key == "export", let next = scanner.peek, next == " " || next == "\t" {
                scanner.skip { $0 == " " || $0 == "\t" }
                key = scanner.take { isKeyScalar($0) }
            }
            guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else {
                throw ConfigurationError(".env line \(lineNumber): expected KEY=value")
            }
            scanner.skip { $0 == " " || $0 == "\t" }
            guard scanner.peek == "=" else {
                throw ConfigurationError(".env line \(lineNumber): expected '=' after \(key)")
            }
            scanner.advance()
            scanner.skip { $0 == " " || $0 == "\t" }

            let value: String
            switch scanner.peek {
            case "\"":
                scanner.advance()
                value = try scanner.doubleQuoted(startLine: lineNumber)
                try scanner.endOfValue(lineNumber: lineNumber)
            case "'":
                scanner.advance()
                value = try scanner.singleQuoted(startLine: lineNumber)
                try scanner.endOfValue(lineNumber: lineNumber)
            default:
                value = scanner.unquoted()
            }
            values[key] = value
        }
        return values
    }

    static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", ".": true
        default: false
        }
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { index >= scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }

        mutating func advance() {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }

        mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
            while let s = peek, predicate(s) { advance() }
        }

        mutating func take(while predicate: (Unicode.Scalar) -> Bool) -> String {
            var out = String.UnicodeScalarView()
            while let s = peek, predicate(s) {
                out.append(s)
                advance()
            }
            return String(out)
        }

        mutating func skipLine() {
            skip { $0 != "\n" }
            if !atEnd { advance() }
        }

        /// After a closing quote: only white space and an optional comment may follow on the line.
        mutating func endOfValue(lineNumber: Int) throws(ConfigurationError) {
            skip { $0 == " " || $0 == "\t" || $0 == "\r" }
            guard let s = peek, s != "\n" else {
                if !atEnd { advance() }
                return
            }
            guard s == "#" else {
                throw ConfigurationError(".env line \(lineNumber): unexpected text after the closing quote")
            }
            skipLine()
        }

        mutating func doubleQuoted(startLine: Int) throws(ConfigurationError) -> String {
            var out = String.UnicodeScalarView()
            while let s = peek {
                advance()
                switch s {
                case "\"":
                    return String(out)
                case "\\":
                    guard let escaped = peek else { break }
                    advance()
                    switch escaped {
                    case "n": out.append("\n")
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    default:
                        // Unknown escapes stay as written, so a Windows path or a regex survives.
                        out.append("\\")
                        out.append(escaped)
                    }
                default:
                    out.append(s)
                }
            }
            throw ConfigurationError(".env line \(startLine): unterminated double quote")
        }

        mutating func singleQuoted(startLine: Int) throws(ConfigurationError) -> String {
            var out = String.UnicodeScalarView()
            while let s = peek {
                advance()
                if s == "'" { return String(out) }
                out.append(s)
            }
            throw ConfigurationError(".env line \(startLine): unterminated single quote")
        }

        /// Up to the end of the line or to ` #`, trimmed.
        mutating func unquoted() -> String {
            var out = String.UnicodeScalarView()
            var previousWasSpace = true  // `KEY= #c` and `KEY=#c`: see below
            var sawAny = false
            while let s = peek, s != "\n" {
                if s == "#" && previousWasSpace && sawAny { break }
                if s == "#" && !sawAny && previousWasSpace && index > 0
                    && (scalars[index - 1] == " " || scalars[index - 1] == "\t")
                {
                    // `KEY= # comment`: white space after `=` was skipped, so look back for it.
                    break
                }
                out.append(s)
                previousWasSpace = s == " " || s == "\t"
                sawAny = true
                advance()
            }
            skipLine()
            return String(String(out).trimmingASCIIWhitespace())
        }
    }
}
