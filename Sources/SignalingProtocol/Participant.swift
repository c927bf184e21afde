/// A member of a room as other members see it: `{"user_id":…,"username":…}` in `RoomJoined.participants` and
/// `UserJoined.user`.
public struct Participant: Sendable, Hashable {
    public var userID: UserID
    /// The trimmed, validated username.
    public var username: String

    public init(userID: UserID, username: String) {
        self.userID = userID
        self.username = username
    }
}
