import SignalingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One user's entry in `servers:{node_id}:connections`, present exactly while the user is in a room.
///
/// Wire form, in this member order:
/// `{"user_id":1001,"username":"alice","room_id":"room123","connected_at":"2024-01-01T10:00:00Z","connection_id":"<uuid>"}`.
/// `connected_at` is written in whole seconds (UTC, `Z`); reading accepts fractional seconds, numeric offsets and
/// members it does not know.
public struct ConnectionRecord: Sendable, Hashable {
    public var userID: UInt64
    public var username: String
    public var roomID: String
    /// When the user joined this room, in unix seconds (whole seconds when written by a node).
    public var connectedAt: Double
    /// The connection's UUID, fixed for its life; kept as text so that any writer's spelling round-trips.
    public var connectionID: String

    public init(userID: UInt64, username: String, roomID: String, connectedAt: Double, connectionID: String) {
        self.userID = userID
        self.username = username
        self.roomID = roomID
        self.connectedAt = connectedAt
        self.connectionID = connectionID
    }

    /// A record for a user joining now, `connected_at` truncated to whole seconds.
    public init(userID: UInt64, username: String, roomID: String, connectedAt: Date = Date(), connectionID: String) {
        self.init(userID: userID, username: username, roomID: roomID,
                  connectedAt: connectedAt.timeIntervalSince1970.rounded(.down), connectionID: connectionID)
    }

    /// A new connection id: a random UUID in lower case, as browsers and most languages print them.
    public static func newConnectionID() -> String { UUID().uuidString.lowercased() }

    /// `connected_at` as written: RFC 3339, UTC, whole seconds.
    public var connectedAtText: String { RFC3339.format(unixSeconds: Int64(connectedAt.rounded(.down))) }

    /// The JSON text stored in the connections hash.
    public var jsonText: String { jsonBytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }

    public var jsonBytes: [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.raw("{\"user_id\":")
        w.integer(userID)
        w.raw(",\"username\":")
        w.string(username)
        w.raw(",\"room_id\":")
        w.string(roomID)
        w.raw(",\"connected_at\":")
        w.string(connectedAtText)
        w.raw(",\"connection_id\":")
        w.string(connectionID)
        w.raw("}")
        return w.bytes
    }

    /// Reads a stored record.
    public init(json bytes: some Collection<UInt8>) throws(ClusterPayloadError) {
        try self.init(json: Array(bytes))
    }

    public init(json bytes: [UInt8]) throws(ClusterPayloadError) {
        let c = try PayloadReader(json: bytes)
        userID = try c.integer("user_id")
        username = try c.string("username")
        roomID = try c.string("room_id")
        let text = try c.string("connected_at")
        guard let seconds = RFC3339.parse(text) else { throw .malformed("invalid value at connected_at: not an RFC 3339 time") }
        connectedAt = seconds
        connectionID = try c.string("connection_id")
    }

    public init(json text: String) throws(ClusterPayloadError) {
        try self.init(json: Array(text.utf8))
    }
}

extension ConnectionRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case userID = "user_id", username, roomID = "room_id", connectedAt = "connected_at", connectionID = "connection_id"
    }

    /// The same members and values as `jsonBytes`, for operator output through `JSONEncoder` (which may reorder them).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(userID, forKey: .userID)
        try c.encode(username, forKey: .username)
        try c.encode(roomID, forKey: .roomID)
        try c.encode(connectedAtText, forKey: .connectedAt)
        try c.encode(connectionID, forKey: .connectionID)
    }
}
