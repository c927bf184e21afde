/// What one sweep did (or, in a dry run, would do), node by node. Codable with snake_case keys for `sigctl sweep`.
public struct SweepReport: Sendable, Hashable, Codable {
    /// Who swept: a node id, or `sigctl`.
    public var sweeper: String
    public var dryRun: Bool
    public var nodes: [NodeSweep]

    /// Participants entries removed (or that would be), across nodes.
    public var usersRemoved: Int { nodes.reduce(0) { $0 + $1.usersRemoved } }

    public init(sweeper: String, dryRun: Bool, nodes: [NodeSweep]) {
        self.sweeper = sweeper
        self.dryRun = dryRun
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey {
        case sweeper = "by", dryRun = "dry_run", nodes, usersRemoved = "users_removed"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sweeper = try c.decode(String.self, forKey: .sweeper)
        dryRun = try c.decode(Bool.self, forKey: .dryRun)
        nodes = try c.decode([NodeSweep].self, forKey: .nodes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sweeper, forKey: .sweeper)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(usersRemoved, forKey: .usersRemoved)
        try c.encode(nodes, forKey: .nodes)
    }
}

/// One node's part of a sweep.
public struct NodeSweep: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Claimed and swept completely; `ServerSwept` published.
        case swept
        /// Dry run of a dead node: the counts say what a sweep would remove.
        case wouldSweep = "would_sweep"
        /// The node has a heartbeat: not dead, not touched.
        case alive
        /// The node has no connections hash: nothing to sweep.
        case gone
        /// Another sweeper holds the claim (see `claimedBy`): this one did nothing and announced nothing.
        case claimedByOther = "claimed_by_other"
        /// The claim expired mid-sweep and someone else took it over; this sweeper stopped (what it removed, it
        /// announced).
        case lostClaim = "lost_claim"
        /// The node's heartbeat came back mid-sweep: stopped (what was removed was announced, with a `ServerSwept`).
        case revived
        /// Entries kept appearing in the connections hash; stopped after several passes. The claim expires by itself.
        case incomplete
    }

    public var nodeID: String
    public var outcome: Outcome
    /// For `claimedByOther`: the sweeper that holds the claim.
    public var claimedBy: String?
    /// Users removed from their room (participants entry named the dead node): one `UserLeft` each.
    public var removed: [SweptUser]
    /// Users whose participants entry did not name the dead node (moved to another node, or already gone): their
    /// connections entry was removed, their room entry was left alone, nothing was announced.
    public var skipped: [SkippedUser]
    /// Connections entries that were not valid records: removed (or, dry run, would be), nothing announced.
    public var unreadableRecords: Int

    public var usersRemoved: Int { removed.count }
    public var usersMoved: Int { skipped.filter { $0.currentNode != nil }.count }
    /// Connections entries deleted (or that would be): removed + skipped + unreadable.
    public var recordsRemoved: Int { removed.count + skipped.count + unreadableRecords }

    public init(nodeID: String, outcome: Outcome, claimedBy: String? = nil, removed: [SweptUser] = [], skipped: [SkippedUser] = [],
                unreadableRecords: Int = 0) {
        self.nodeID = nodeID
        self.outcome = outcome
        self.claimedBy = claimedBy
        self.removed = removed
        self.skipped = skipped
        self.unreadableRecords = unreadableRecords
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", outcome, claimedBy = "claimed_by", usersRemoved = "users_removed", usersMoved = "users_moved"
        case recordsRemoved = "records_removed", unreadableRecords = "unreadable_records", removed, skipped
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeID = try c.decode(String.self, forKey: .nodeID)
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        claimedBy = try c.decodeIfPresent(String.self, forKey: .claimedBy)
        removed = try c.decode([SweptUser].self, forKey: .removed)
        skipped = try c.decode([SkippedUser].self, forKey: .skipped)
        unreadableRecords = try c.decode(Int.self, forKey: .unreadableRecords)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nodeID, forKey: .nodeID)
        try c.encode(outcome, forKey: .outcome)
        try c.encodeIfPresent(claimedBy, forKey: .claimedBy)
        try c.encode(usersRemoved, forKey: .usersRemoved)
        try c.encode(usersMoved, forKey: .usersMoved)
        try c.encode(recordsRemoved, forKey: .recordsRemoved)
        try c.encode(unreadableRecords, forKey: .unreadableRecords)
        try c.encode(removed, forKey: .removed)
        try c.encode(skipped, forKey: .skipped)
    }
}

public struct SweptUser: Sendable, Hashable, Codable {
    public var userID: UInt64
    public var roomID: String

    public init(userID: UInt64, roomID: String) {
        self.userID = userID
        self.roomID = roomID
    }

    enum CodingKeys: String, CodingKey { case userID = "user_id", roomID = "room_id" }
}

public struct SkippedUser: Sendable, Hashable, Codable {
    public var userID: UInt64
    public var roomID: String
    /// The node the participants entry names now; nil when there is no entry.
    public var currentNode: String?

    public init(userID: UInt64, roomID: String, currentNode: String?) {
        self.userID = userID
        self.roomID = roomID
        self.currentNode = currentNode
    }

    enum CodingKeys: String, CodingKey { case userID = "user_id", roomID = "room_id", currentNode = "current_node" }
}

/// One Redis command of a sweep, for `sigctl sweep --explain`.
public struct SweepStep: Sendable, Hashable, Codable {
    public var command: String
    public var purpose: String

    public init(command: String, purpose: String) {
        self.command = command
        self.purpose = purpose
    }
}

/// What a sweep would run on each dead node a dry run found, command by command, with the node's keys, users and
/// payloads filled in: `sigctl sweep --dry-run --explain`.
public struct SweepExplanation: Sendable, Hashable, Codable {
    public struct Node: Sendable, Hashable, Codable {
        public var nodeID: String
        /// Participants entries the sweep would remove (one `UserLeft` each).
        public var usersRemoved: Int
        public var steps: [SweepStep]

        public init(nodeID: String, usersRemoved: Int, steps: [SweepStep]) {
            self.nodeID = nodeID
            self.usersRemoved = usersRemoved
            self.steps = steps
        }

        enum CodingKeys: String, CodingKey { case nodeID = "node_id", usersRemoved = "users_removed", steps }
    }

    /// Who would sweep: the `by` of `ServerSwept`.
    public var sweeper: String
    /// Always true: nothing was changed to find this out.
    public var dryRun: Bool
    /// The nodes found dead, in the dry run's order.
    public var nodes: [Node]

    public init(sweeper: String, nodes: [Node]) {
        self.sweeper = sweeper
        self.dryRun = true
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey { case sweeper = "by", dryRun = "dry_run", nodes }
}
