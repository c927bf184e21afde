/// The `code` of an `Error` message. The raw values are the wire strings of PROTOCOL.md §1 "Errors"; the cases are
/// listed in the order the node runs its checks, so a reader sees which failure wins when several apply.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    case badMessage = "bad_message"
    case invalidRoomName = "invalid_room_name"
    case invalidUsername = "invalid_username"
    case unauthorized = "unauthorized"
    case alreadyInRoom = "already_in_room"
    case notInRoom = "not_in_room"
    case targetNotFound = "target_not_found"
    case rateLimited = "rate_limited"
    case replaced = "replaced"
    case tooLarge = "too_large"
    case serverBusy = "server_busy"
}
