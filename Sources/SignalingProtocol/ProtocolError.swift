/// A rejection that the node reports to the client as `{"type":"Error","code":…,"message":…}`.
///
/// Both the decoder and the server build these, so the wording a client sees for a given failure is the same
/// whichever layer finds it. Messages name the offending field but never echo unvalidated client text: an error is
/// relayed into logs and UIs, and a 64 KiB garbage string has no business there.
public struct ProtocolError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension ProtocolError {
    public static func badMessage(_ message: String) -> ProtocolError {
        ProtocolError(code: .badMessage, message: message)
    }

    /// Binary frames are outside the protocol; the connection stays open.
    public static let binaryMessage = ProtocolError(
        code: .badMessage, message: "binary messages are not supported; send JSON text")

    public static let tooLarge = ProtocolError(
        code: .tooLarge, message: "message is larger than \(Limits.maxMessageBytes) bytes")

    public static let invalidRoomName = ProtocolError(
        code: .invalidRoomName, message: "room_name must be 1-64 characters of A-Z a-z 0-9 _ . -")

    public static let invalidUsername = ProtocolError(
        code: .invalidUsername,
        message: "username must be 1-64 characters after trimming white space, "
            + "without control, format, separator, noncharacter or unassigned code points")

    public static func unauthorized(_ reason: String) -> ProtocolError {
        ProtocolError(code: .unauthorized, message: reason)
    }

    /// `room` must already have passed `Validation.isValidRoomName`: it is echoed verbatim.
    public static func alreadyInRoom(_ room: String) -> ProtocolError {
        ProtocolError(code: .alreadyInRoom, message: "already in room \(room)")
    }

    /// `room` must already have passed `Validation.isValidRoomName`: it is echoed verbatim.
    public static func notInRoom(_ room: String) -> ProtocolError {
        ProtocolError(code: .notInRoom, message: "not in room \(room)")
    }

    /// `room` must already have passed `Validation.isValidRoomName`: it is echoed verbatim.
    public static func targetNotFound(_ target: UserID, room: String) -> ProtocolError {
        ProtocolError(code: .targetNotFound, message: "user \(target) is not in room \(room)")
    }

    public static let rateLimited = ProtocolError(code: .rateLimited, message: "rate limit exceeded")

    public static let replaced = ProtocolError(
        code: .replaced, message: "this user connected again on another connection")

    public static func serverBusy(_ reason: String) -> ProtocolError {
        ProtocolError(code: .serverBusy, message: reason)
    }
}
