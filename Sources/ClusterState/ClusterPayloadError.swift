/// A cluster payload (a connections record, a message on `cluster:*`, `signal_data`) that could not be read.
public enum ClusterPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON, or a required field missing or of the wrong type.
    case malformed(String)
    /// An externally tagged message whose tag this version does not know (readers ignore it).
    case unknownType(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed cluster payload: \(why)"
        case .unknownType(let tag): return "unknown cluster payload type '\(tag)'"
        }
    }
}

