/// Splits a shell line into words the way a POSIX shell does for simple commands: white space
/// separates, single quotes keep everything, double quotes keep everything but `\"` and `\\`,
/// a backslash outside quotes escapes the next character.
enum CommandLineSplitter {
    struct Result: Equatable {
        var words: [String]
        /// An opening quote was never closed.
        var unterminatedQuote: Bool
    }

    static func split(_ line: String) -> Result {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for ch in line {
            if escape {
                current.append(ch)
                escape = false
                continue
            }
            switch quote {
            case "'":
                if ch == "'" { quote = nil } else { current.append(ch) }
            case "\"":
                if ch == "\"" { quote = nil } else if ch == "\\" { escape = true } else { current.append(ch) }
            default:
                if ch == "'" || ch == "\"" {
                    quote = ch
                    inWord = true
                } else if ch == "\\" {
                    escape = true
                    inWord = true
                } else if ch.isWhitespace {
                    if inWord { words.append(current); current = ""; inWord = false }
                } else {
                    current.append(ch)
                    inWord = true
                }
            }
        }
        if inWord || quote != nil { words.append(current) }
        return Result(words: words, unterminatedQuote: quote != nil)
    }
}
