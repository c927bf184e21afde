/// One entry of a room's participants hash, joined with its node's connections record and liveness.
public struct RoomParticipant: Sendable, Hashable {
    public enum RecordStatus: String, Sendable, Hashable, Codable {
        /// The node's connections hash has a record for the user, in this room.
        case present
        /// The node's connections hash has no record for the user.
        case missing
        /// The record is there but names another room.
        case otherRoom = "other_room"
        /// The record is there but is not a valid `ConnectionRecord`.
        case unreadable
    }

    public var userID: UInt64
    public var node: String
    /// The record, when there is one and it could be read (even if it names another room).
    public var record: ConnectionRecord?
    public var recordStatus: RecordStatus
    public var nodeLiveness: NodeLiveness

    public init(userID: UInt64, node: String, record: ConnectionRecord?, recordStatus: RecordStatus, nodeLiveness: NodeLiveness) {
        self.userID = userID
        self.node = node
        self.record = record
        self.recordStatus = recordStatus
        self.nodeLiveness = nodeLiveness
    }

    init(userID: UInt64, node: String, room: String, rawRecord: [UInt8]?, nodeLiveness: NodeLiveness) {
        var record: ConnectionRecord?
        let status: RecordStatus
        if let rawRecord {
            record = try? ConnectionRecord(json: rawRecord)
            if let r = record { status = r.roomID == room ? .present : .otherRoom } else { status = .unreadable }
        } else {
            status = .missing
        }
        self.init(userID: userID, node: node, record: record, recordStatus: status, nodeLiveness: nodeLiveness)
    }

    public var username: String? { recordStatus == .present ? record?.username : nil }
    public var nodeAlive: Bool { nodeLiveness == .alive }

    /// Why this entry is an orphan — its node is dead or gone, or the node has no record of the user in this room —
    /// or nil when it is sound.
    public var orphanReason: OrphanReason? {
        switch nodeLiveness {
        case .dead: return .nodeDead
        case .gone: return .nodeGone
        case .alive: break
        }
        switch recordStatus {
        case .present: return nil
        case .missing: return .missingRecord
        case .otherRoom: return .recordInOtherRoom
        case .unreadable: return .unreadableRecord
        }
    }

    public var isOrphan: Bool { orphanReason != nil }
}

public enum OrphanReason: String, Sendable, Hashable, Codable {
    /// The node has a connections hash but no heartbeat: a sweep will remove the entry.
    case nodeDead = "node_dead"
    /// The node has neither a heartbeat nor a connections hash: nothing will remove the entry by itself.
    case nodeGone = "node_gone"
    case missingRecord = "missing_record"
    case recordInOtherRoom = "record_in_other_room"
    case unreadableRecord = "unreadable_record"
}

// MARK: - Operator read models (Codable, snake_case; no printing here)

/// One room, for `sigctl rooms`.
public struct RoomSummary: Sendable, Hashable, Codable {
    public var roomID: String
    public var participantCount: Int
    /// The distinct nodes named in the participants hash, sorted.
    public var nodes: [String]

    public init(roomID: String, participantCount: Int, nodes: [String]) {
        self.roomID = roomID
        self.participantCount = participantCount
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey {
        case roomID = "room_id", participantCount = "participant_count", nodes
    }
}

/// One room in detail, for `sigctl rooms <room>`.
public struct RoomDetail: Sendable, Hashable, Codable {
    public var roomID: String
    public var participants: [Participant]
    /// Participants hash fields that are not user ids (written by something other than a node).
    public var unreadableEntries: [String]

    public var orphanCount: Int { participants.filter(\.orphan).count }

    public init(roomID: String, participants: [Participant], unreadableEntries: [String] = []) {
        self.roomID = roomID
        self.participants = participants
        self.unreadableEntries = unreadableEntries
    }

    enum CodingKeys: String, CodingKey {
        case roomID = "room_id", participants, unreadableEntries = "unreadable_entries"
    }

    public struct Participant: Sendable, Hashable, Codable {
        public var userID: UInt64
        public var username: String?
        public var node: String
        public var nodeAlive: Bool
        public var nodeStatus: NodeLiveness
        /// RFC 3339, from the record.
        public var connectedAt: String?
        public var connectionID: String?
        public var orphan: Bool
        public var orphanReason: OrphanReason?

        public init(_ p: RoomParticipant) {
            userID = p.userID
            username = p.record?.username
            node = p.node
            nodeAlive = p.nodeAlive
            nodeStatus = p.nodeLiveness
            connectedAt = p.record?.connectedAtText
            connectionID = p.record?.connectionID
            orphanReason = p.orphanReason
            orphan = orphanReason != nil
        }

        enum CodingKeys: String, CodingKey {
            case userID = "user_id", username, node = "node_id", nodeAlive = "node_alive", nodeStatus = "node_status"
            case connectedAt = "connected_at", connectionID = "connection_id", orphan, orphanReason = "orphan_reason"
        }
    }
}

/// One node, for `sigctl servers`.
public struct ServerSummary: Sendable, Hashable, Codable {
    public var nodeID: String
    public var status: NodeLiveness
    public var alive: Bool
    /// The heartbeat key's value (unix seconds of the last beat), nil when it does not exist.
    public var heartbeat: Int64?
    /// Whole seconds since the last beat, by the reader's clock when it read the keys (never negative), nil when the
    /// heartbeat does not exist.
    public var heartbeatAgeSeconds: Int64?
    /// Seconds until the heartbeat key expires (Redis TTL), nil when it does not exist.
    public var heartbeatTTL: Int?
    public var connectionCount: Int
    /// The distinct rooms of its connections records, sorted.
    public var rooms: [String]
    /// The sweeper holding a sweep claim on this node, when one does.
    public var sweepingBy: String?

    /// - Parameter now: the reader's unix time, for `heartbeatAgeSeconds`.
    public init(nodeID: String, status: NodeLiveness, heartbeat: Int64?, heartbeatTTL: Int?, connectionCount: Int,
                rooms: [String], sweepingBy: String?, now: Int64) {
        self.nodeID = nodeID
        self.status = status
        self.alive = status == .alive
        self.heartbeat = heartbeat
        self.heartbeatAgeSeconds = heartbeat.map { max(0, now - $0) }
        self.heartbeatTTL = heartbeatTTL
        self.connectionCount = connectionCount
        self.rooms = rooms
        self.sweepingBy = sweepingBy
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", status, alive, heartbeat, heartbeatAgeSeconds = "heartbeat_age_s", heartbeatTTL = "heartbeat_ttl"
        case connectionCount = "connection_count"
        case rooms, sweepingBy = "sweeping_by"
    }
}

/// One node in detail, for `sigctl servers <node>`.
public struct ServerDetail: Sendable, Hashable, Encodable {
    public var server: ServerSummary
    /// Its connections records, sorted by user id.
    public var connections: [ConnectionRecord]
    /// Connections entries that are not valid records.
    public var unreadableRecords: [UnreadableRecord]

    public init(server: ServerSummary, connections: [ConnectionRecord], unreadableRecords: [UnreadableRecord]) {
        self.server = server
        self.connections = connections
        self.unreadableRecords = unreadableRecords
    }

    enum CodingKeys: String, CodingKey {
        case server, connections, unreadableRecords = "unreadable_records"
    }
}

/// A hash entry that is not what the schema says it should be, shown as found.
public struct UnreadableRecord: Sendable, Hashable, Codable {
    public var field: String
    public var value: String

    public init(field: String, value: String) {
        self.field = field
        self.value = value
    }
}
