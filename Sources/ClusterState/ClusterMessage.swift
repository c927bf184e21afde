import SignalingProtocol

/// A message on `cluster:messages` or `cluster:node:{node_id}` (PROTOCOL.md §2), externally tagged:
///
/// ```json
/// {"UserJoined":{"room_id":"room123","user_id":1001,"username":"alice","target_server":null,"source_server":"signaling-1"}}
/// {"UserLeft":{"room_id":"room123","user_id":1001,"target_server":null,"source_server":"signaling-1"}}
/// {"WebRTCSignal":{"room_id":"room123","from_user":1001,"to_user":1002,"signal_type":"offer","signal_data":"v=0...","source_server":"signaling-1"}}
/// {"UserReplaced":{"user_id":1001,"connection_id":"<uuid>","target_server":null,"source_server":"signaling-2"}}
/// ```
///
/// `target_server` is always written (`null` for every node) where the contract has it; `source_server` is written
/// when set. Reading accepts a missing `source_server`/`target_server` and ignores unknown members.
public enum ClusterMessage: Sendable, Hashable {
    case userJoined(UserJoined)
    case userLeft(UserLeft)
    case webRTCSignal(WebRTCSignal)
    case userReplaced(UserReplaced)

    public struct UserJoined: Sendable, Hashable {
        public var roomID: String
        public var userID: UInt64
        public var username: String
        public var targetServer: String?
        public var sourceServer: String?

        public init(roomID: String, userID: UInt64, username: String, targetServer: String? = nil, sourceServer: String?) {
            self.roomID = roomID
            self.userID = userID
            self.username = username
            self.targetServer = targetServer
            self.sourceServer = sourceServer
        }
    }

    public struct UserLeft: Sendable, Hashable {
        public var roomID: String
        public var userID: UInt64
        public var targetServer: String?
        public var sourceServer: String?

        public init(roomID: String, userID: UInt64, targetServer: String? = nil, sourceServer: String?) {
            self.roomID = roomID
            self.userID = userID
            self.targetServer = targetServer
            self.sourceServer = sourceServer
        }
    }

    public struct WebRTCSignal: Sendable, Hashable {
        public var roomID: String
        public var fromUser: UInt64
        public var toUser: UInt64
        public var signalType: SignalType
        /// The SDP for `offer`/`answer`; for `ice_candidate`, the JSON text built by `IceSignalData`.
        public var signalData: String
        public var sourceServer: String?

        public init(roomID: String, fromUser: UInt64, toUser: UInt64, signalType: SignalType, signalData: String, sourceServer: String?) {
            self.roomID = roomID
            self.fromUser = fromUser
            self.toUser = toUser
            self.signalType = signalType
            self.signalData = signalData
            self.sourceServer = sourceServer
        }
    }

    /// `signal_type`: `offer`, `answer` or `ice_candidate`; an unknown value is kept, not rejected.
    public struct SignalType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let offer = SignalType(rawValue: "offer")
        public static let answer = SignalType(rawValue: "answer")
        public static let iceCandidate = SignalType(rawValue: "ice_candidate")
        public var description: String { rawValue }
    }

    public struct UserReplaced: Sendable, Hashable {
        public var userID: UInt64
        /// The new connection, the one that stays.
        public var connectionID: String
        public var targetServer: String?
        public var sourceServer: String?

        public init(userID: UInt64, connectionID: String, targetServer: String? = nil, sourceServer: String?) {
            self.userID = userID
            self.connectionID = connectionID
            self.targetServer = targetServer
            self.sourceServer = sourceServer
        }
    }
}

extension ClusterMessage {
    /// The tag: `UserJoined`, `UserLeft`, `WebRTCSignal`, `UserReplaced`.
    public var typeName: String {
        switch self {
        case .userJoined: return "UserJoined"
        case .userLeft: return "UserLeft"
        case .webRTCSignal: return "WebRTCSignal"
        case .userReplaced: return "UserReplaced"
        }
    }

    public var sourceServer: String? {
        switch self {
        case .userJoined(let m): return m.sourceServer
        case .userLeft(let m): return m.sourceServer
        case .webRTCSignal(let m): return m.sourceServer
        case .userReplaced(let m): return m.sourceServer
        }
    }

    /// nil: every node. A `WebRTCSignal` has no `target_server`: its channel says where it goes.
    public var targetServer: String? {
        switch self {
        case .userJoined(let m): return m.targetServer
        case .userLeft(let m): return m.targetServer
        case .webRTCSignal: return nil
        case .userReplaced(let m): return m.targetServer
        }
    }

    public var roomID: String? {
        switch self {
        case .userJoined(let m): return m.roomID
        case .userLeft(let m): return m.roomID
        case .webRTCSignal(let m): return m.roomID
        case .userReplaced: return nil
        }
    }

    /// The contract's rule for a receiving node: act on a message whose `target_server` is null or `nodeID`, and
    /// ignore the node's own broadcasts when they come back.
    public func concerns(node nodeID: String) -> Bool {
        if let target = targetServer, target != nodeID { return false }
        return sourceServer != nodeID
    }
}

// MARK: - Writing

extension ClusterMessage {
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    public var jsonBytes: [UInt8] {
        var w = JSONWriter(capacity: 160)
        switch self {
        case .userJoined(let m):
            w.raw("{\"UserJoined\":{\"room_id\":")
            w.string(m.roomID)
            w.raw(",\"user_id\":")
            w.integer(m.userID)
            w.raw(",\"username\":")
            w.string(m.username)
            w.raw(",\"target_server\":")
            w.nullableString(m.targetServer)
            Self.writeSource(m.sourceServer, to: &w)
        case .userLeft(let m):
            w.raw("{\"UserLeft\":{\"room_id\":")
            w.string(m.roomID)
            w.raw(",\"user_id\":")
            w.integer(m.userID)
            w.raw(",\"target_server\":")
            w.nullableString(m.targetServer)
            Self.writeSource(m.sourceServer, to: &w)
        case .webRTCSignal(let m):
            w.raw("{\"WebRTCSignal\":{\"room_id\":")
            w.string(m.roomID)
            w.raw(",\"from_user\":")
            w.integer(m.fromUser)
            w.raw(",\"to_user\":")
            w.integer(m.toUser)
            w.raw(",\"signal_type\":")
            w.string(m.signalType.rawValue)
            w.raw(",\"signal_data\":")
            w.string(m.signalData)
            Self.writeSource(m.sourceServer, to: &w)
        case .userReplaced(let m):
            w.raw("{\"UserReplaced\":{\"user_id\":")
            w.integer(m.userID)
            w.raw(",\"connection_id\":")
            w.string(m.connectionID)
            w.raw(",\"target_server\":")
            w.nullableString(m.targetServer)
            Self.writeSource(m.sourceServer, to: &w)
        }
        w.raw("}}")
        return w.bytes
    }

    private static func writeSource(_ source: String?, to w: inout JSONWriter) {
        guard let source else { return }
        w.raw(",\"source_server\":")
        w.string(source)
    }
}

// MARK: - Reading

extension ClusterMessage {
    /// Reads a message heard on a cluster channel. `unknownType` for a tag this version does not know.
    public init(json bytes: some Collection<UInt8>) throws(ClusterPayloadError) {
        try self.init(json: Array(bytes))
    }

    public init(json bytes: [UInt8]) throws(ClusterPayloadError) {
        let (tag, c) = try PayloadReader(json: bytes).tagged(["UserJoined", "UserLeft", "WebRTCSignal", "UserReplaced"])
        let source = try c.optionalString("source_server")
        switch tag {
        case "UserJoined":
            self = .userJoined(UserJoined(
                roomID: try c.string("room_id"), userID: try c.integer("user_id"), username: try c.string("username"),
                targetServer: try c.optionalString("target_server"), sourceServer: source))
        case "UserLeft":
            self = .userLeft(UserLeft(
                roomID: try c.string("room_id"), userID: try c.integer("user_id"),
                targetServer: try c.optionalString("target_server"), sourceServer: source))
        case "WebRTCSignal":
            self = .webRTCSignal(WebRTCSignal(
                roomID: try c.string("room_id"), fromUser: try c.integer("from_user"), toUser: try c.integer("to_user"),
                signalType: SignalType(rawValue: try c.string("signal_type")), signalData: try c.string("signal_data"),
                sourceServer: source))
        default:
            self = .userReplaced(UserReplaced(
                userID: try c.integer("user_id"), connectionID: try c.string("connection_id"),
                targetServer: try c.optionalString("target_server"), sourceServer: source))
        }
    }

    public init(json text: String) throws(ClusterPayloadError) {
        try self.init(json: Array(text.utf8))
    }
}
