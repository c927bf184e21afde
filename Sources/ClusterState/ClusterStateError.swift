/// Errors of this module that are not Redis's.
public enum ClusterStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `users:next_id` has passed 2^53 − 1: no more ids can be leased.
    case userIDsExhausted

    public var description: String {
        switch self {
        case .userIDsExhausted: return "user ids exhausted: \(ClusterKeys.nextUserID) is past 2^53-1"
        }
    }
}
