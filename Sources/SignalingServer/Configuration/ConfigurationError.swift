/// Why the node cannot start with the given settings: one line that names the setting, for the operator.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// "invalid PORT (--port) 'abc': expected an integer in 1...65535"
    static func invalid(_ setting: Setting, _ value: String, _ expected: String) -> ConfigurationError {
        ConfigurationError("invalid \(setting) '\(value.printable)': \(expected)")
    }
}

extension String {
    /// The value as it may appear in a one-line error: control characters escaped, long values cut.
    var printable: String {
        var out = ""
        for scalar in unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > 80 ? out + "…" : out
    }
}
