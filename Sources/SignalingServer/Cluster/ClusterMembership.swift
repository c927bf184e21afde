import ClusterState
import Foundation
import SignalingProtocol

/// What this node knows and owes about cluster membership, as a pure state machine beside `ClusterLink`.
///
/// Events in: a local join started, registered, failed or owed; a local member left; `UserJoined`, `UserLeft`,
/// `ServerStarted` and `ServerSwept` heard from other nodes; a heartbeat written; the node's records found missing;
/// the facts a reconciliation read from Redis; a gap in the subscription. Decisions out: the frames to deliver to
/// which local members (`Delivery`), and the Redis work to queue (`Job`).
///
/// No sockets, no clocks, no locks: the bridge (`RedisClusterBridge`) keeps one of these under its lock, feeds it,
/// and performs what it returns — jobs on its one serial job queue, deliveries after the lock is released, in the
/// order they were decided. Time comes in as an argument (`now`), so tests use a clock of their own.
struct ClusterMembership: Sendable {
    /// A frame for this node's local members.
    enum Delivery: Sendable, Hashable {
        /// To the room's local members except `excluding` (the user the frame is about) and the members in `unaware`
        /// (never told that user was there, so not told it left either).
        case room(ServerMessage, room: String, excluding: UserID, unaware: Set<UserID> = [])
        /// To one local member of the room (a signal, or what one member was owed).
        case member(ServerMessage, to: UserID, room: String)
    }

    /// Work that waits on Redis. The bridge runs these one at a time, in order, on its job queue.
    enum Job: Sendable, Hashable {
        /// Re-register every local user and the heartbeat, announce, reconcile (`RedisClusterBridge.recover`).
        case recover
        /// Reconcile these rooms (nil: every local room) with their participants hashes.
        case reconcile(Set<String>?)
        /// Every local room, because the subscription dropped events (one queued at a time).
        case reconcileAfterGap
        /// Register the members owed a registration.
        case registerOwed
        /// Connections closed for a `UserReplaced`: their unregistration.
        case unregister([RoomMember])
        /// Lease more user ids (`UserIDAllocator.refill`).
        case refillIDs
        /// A heartbeat found no connections hash although joined members should have records: check once more.
        case confirmRecordsVanished(HeartbeatWrite)
    }

    /// How a join proceeds.
    enum JoinStart: Sendable, Equatable {
        /// Register in Redis; `knownRemote` is what the member misses if the registration fails.
        case register(knownRemote: Set<UserID>)
        /// Not clustered: the member joins locally, owed its registration and the remote users it misses.
        case owed
    }

    /// What a written heartbeat means.
    enum HeartbeatVerdict: Sendable, Equatable {
        case fine
        /// The node's registration vanished (its heartbeat key was gone): re-enter the cluster.
        case vanished
        /// No connections hash although joined members should have records: the join or leave under way may explain
        /// it; check again (`Job.confirmRecordsVanished`).
        case confirm
    }

    let nodeID: String
    let heartbeatTTL: Duration

    private(set) var link = ClusterLink()
    private(set) var roster = RemoteRoster()
    /// When this node last finished recovering (for the reconciliation's silence rule).
    private(set) var recoveredAt: ContinuousClock.Instant?
    /// Nodes whose `ServerSwept` was heard since the last recovery.
    private(set) var sweptNodes: Set<String> = []
    /// When each node was first seen without a heartbeat during reconciliation.
    private(set) var silentSince: [String: ContinuousClock.Instant] = [:]
    /// Rooms with remote users whose departure is not yet decided.
    private(set) var undecidedRooms: Set<String> = []
    /// Local users who joined while the node was not clustered, or whose registration failed, were told about
    /// local users only: per room and member, the remote users the room's roster held at that join, which
    /// reconciliation still owes the member (and whose departure the member must not be told of).
    private(set) var untold: [String: [UserID: Set<UserID>]] = [:]
    /// Members whose join is not registered (not clustered at the time, or the registration failed): registered
    /// by recovery, or once per heartbeat interval while the node stays clustered (`Job.registerOwed`).
    private(set) var owedRegistrations: [MemberKey: RoomMember] = [:]
    private(set) var recovering = false
    private(set) var stopping = false
    /// A reconciliation of every local room is queued because the subscription dropped events.
    private(set) var gapReconciliationQueued = false
    /// Registry changes started (joins, leaves, recoveries, retries), so that a check that finds the node's records
    /// missing can tell records that really vanished from a join or leave under way.
    private(set) var registryChanges: UInt64 = 0

    init(nodeID: String, heartbeatTTL: Duration) {
        self.nodeID = nodeID
        self.heartbeatTTL = heartbeatTTL
    }

    var isClustered: Bool { link.isClustered }

    /// Members owed a registration (`/health`'s `unregistered_members`).
    var owedCount: Int { owedRegistrations.count }

    // MARK: - The links

    mutating func handle(_ input: ClusterLink.Input) -> [ClusterLink.Action] {
        link.handle(input)
    }

    /// The node's own registration vanished (a `ServerSwept` naming it, a check, a heartbeat). Ignored unless
    /// clustered and running.
    mutating func foundSelfMissing() -> [ClusterLink.Action] {
        guard link.isClustered, !stopping else { return [] }
        return link.handle(.foundSelfMissing)
    }

    mutating func nodeStopping() { stopping = true }

    // MARK: - Local joins and leaves

    mutating func joinStarted(_ member: RoomMember) -> JoinStart {
        // The remote users the room's other members know of now: what this member misses if it is told of local
        // users only. (Remote users who join meanwhile reach it as frames delivered to the room.)
        let known = Set(roster.members(of: member.room).keys)
        guard link.isClustered else {
            owe(member, missing: known)
            return .owed
        }
        registryChanges &+= 1
        return .register(knownRemote: known)
    }

    /// The join's script ran: the room's remote participants with a live node join the roster; the joiner's
    /// `RoomJoined` lists them.
    mutating func joinRegistered(_ member: RoomMember, participants: [RoomParticipant]) -> [Participant] {
        var remote: [Participant] = []
        for p in participants where p.node != nodeID && p.userID != member.userID && p.nodeAlive {
            guard let username = p.username else { continue }
            _ = roster.add(p.userID, username: username, node: p.node, room: member.room)
            remote.append(Participant(userID: p.userID, username: username))
        }
        return remote
    }

    /// The join's registration failed although the node was clustered: the member is local, owed a registration.
    mutating func joinFailed(_ member: RoomMember, knownRemote: Set<UserID>) {
        owe(member, missing: knownRemote)
    }

    /// A member left; `roomEmptyLocally` when it was the room's last local member. True when its record should be
    /// removed from Redis now (the command link is up).
    mutating func left(_ member: RoomMember, roomEmptyLocally: Bool) -> Bool {
        registryChanges &+= 1
        untold[member.room]?[member.userID] = nil
        settleOwed(member)
        if roomEmptyLocally {
            roster.forget(room: member.room)
            untold[member.room] = nil
        }
        return link.commandLinkUp
    }

    /// Records a member that joined without a registration: owed one, and owed the `UserJoined` of the remote users
    /// in `missing` that are still in the room's roster.
    private mutating func owe(_ member: RoomMember, missing: Set<UserID>) {
        untold[member.room, default: [:]][member.userID] = missing.intersection(roster.members(of: member.room).keys)
        owedRegistrations[MemberKey(member)] = member
    }

    /// Drops `member`'s owed registration, unless a newer connection of the same user owes one in that room.
    private mutating func settleOwed(_ member: RoomMember) {
        let key = MemberKey(member)
        if owedRegistrations[key]?.connectionID == member.connectionID { owedRegistrations[key] = nil }
    }

    /// Whether `member` is owed a registration (its record is missing by design).
    func isOwed(_ member: RoomMember) -> Bool { owedRegistrations[MemberKey(member)]?.connectionID == member.connectionID }

    // MARK: - Registration: recovery and retries

    mutating func recoveryStarted() {
        recovering = true
        registryChanges &+= 1
    }

    mutating func recoveryEnded() { recovering = false }

    /// Recovery wrote everything and announced the node: the silence rule counts from `now`.
    mutating func recovered(at now: ContinuousClock.Instant) {
        recoveredAt = now
        sweptNodes = []
        silentSince = [:]
    }

    /// `member`'s record was written (by recovery or a retry), or the member is gone: nothing owed any more. A
    /// newer connection of the same user stays owed.
    mutating func registered(_ member: RoomMember) { settleOwed(member) }

    /// Redis refused `member`'s record during recovery: owed, retried every heartbeat interval.
    mutating func registrationRefused(_ member: RoomMember) {
        owedRegistrations[MemberKey(member)] = member
    }

    /// A retry of an owed registration begins.
    mutating func retryStarted() { registryChanges &+= 1 }

    var owedMembers: [RoomMember] { Array(owedRegistrations.values) }

    /// The heartbeat is written only while clustered and not recovering: recovery writes the first itself, after
    /// re-registering the users.
    var shouldBeat: Bool { link.isClustered && !recovering }

    /// Whether some joined member should have a record in Redis: one owed a registration has none by design.
    func hasRegisteredMembers(_ joined: [RoomMember]) -> Bool {
        joined.contains { !isOwed($0) }
    }

    func heartbeatWritten(_ write: HeartbeatWrite, joined: [RoomMember]) -> HeartbeatVerdict {
        // A stopping node deletes its own heartbeat and records: a beat that sees that is not news.
        guard link.isClustered, !stopping else { return .fine }
        if write.previous == nil { return .vanished }
        if !write.connectionsHashExists, hasRegisteredMembers(joined) { return .confirm }
        return .fine
    }

    /// Where a check of the node's records starts: nil while a recovery runs or the node stops (no check then).
    var registryCheckpoint: UInt64? { recovering || stopping ? nil : registryChanges }

    /// Whether records found missing since `checkpoint` really vanished: no join, leave, retry or recovery started
    /// meanwhile (each of those may have emptied the connections hash or not yet written it).
    func unchanged(since checkpoint: UInt64) -> Bool {
        !recovering && !stopping && registryChanges == checkpoint
    }

    // MARK: - Heard from other nodes

    /// `localMembers`: this node's members of the room now.
    mutating func heardUserJoined(room: String, user: UserID, username: String, node: String,
                                  localMembers: [UserID]) -> [Delivery] {
        guard link.mode != .degraded, !localMembers.isEmpty, !localMembers.contains(user),
              roster.add(user, username: username, node: node, room: room)
        else { return [] }
        return [.room(.userJoined(room: room, user: Participant(userID: user, username: username)), room: room, excluding: user)]
    }

    mutating func heardUserLeft(room: String, user: UserID) -> [Delivery] {
        guard link.mode != .degraded, roster.remove(user, room: room) else { return [] }
        // Members never told of the user are not told it left, and no longer owed its `UserJoined`.
        var unaware: Set<UserID> = []
        for (member, users) in untold[room] ?? [:] where users.contains(user) {
            unaware.insert(member)
            untold[room]?[member]?.remove(user)
        }
        return [.room(.userLeft(room: room, userID: user), room: room, excluding: user, unaware: unaware)]
    }

    mutating func heardServerStarted() -> [Job] { [.reconcile(nil)] }

    mutating func heardServerSwept(node: String) -> [Job] {
        sweptNodes.insert(node)
        return [.reconcile(nil)]
    }

    /// The subscription dropped events: every local room is reconciled, one such reconciliation queued at a time.
    mutating func subscriptionGap() -> [Job] {
        defer { gapReconciliationQueued = true }
        return gapReconciliationQueued ? [] : [.reconcileAfterGap]
    }

    /// The gap's reconciliation is taken off the queue (drops after this queue another). False when degraded: the
    /// recovery reconciles every room anyway.
    mutating func gapReconciliationStarts() -> Bool {
        gapReconciliationQueued = false
        return link.mode != .degraded
    }

    /// Reconciliations run unless the node is degraded.
    var mayReconcile: Bool { link.mode != .degraded }

    /// Once per heartbeat interval while clustered: settle undecided rooms, register owed members.
    var periodicJobs: [Job] {
        var jobs: [Job] = []
        if !undecidedRooms.isEmpty { jobs.append(.reconcile(undecidedRooms)) }
        if !owedRegistrations.isEmpty { jobs.append(.registerOwed) }
        return jobs
    }

    // MARK: - Reconciliation

    /// The nodes of the room's known remote users: whose heartbeats a reconciliation reads first.
    func nodesKnown(in room: String) -> Set<String> {
        Set(roster.members(of: room).values.map(\.node))
    }

    /// The room has no local member any more: nothing to reconcile.
    mutating func roomEmptied(_ room: String) {
        roster.forget(room: room)
        undecidedRooms.remove(room)
    }

    mutating func reconcileFailed(_ room: String) {
        undecidedRooms.insert(room)
    }

    /// What a reconciliation read: `live`, the heartbeats of the room's known nodes (read before the hash: a node
    /// writes its heartbeat only after registering its users, so a live heartbeat makes an absence conclusive), and
    /// the room's `participants`. Returns what the room's local members missed.
    mutating func reconciled(room: String, live: [String: Bool], participants: [RoomParticipant],
                             now: ContinuousClock.Instant) -> [Delivery] {
        var current: [UserID: RemoteRoster.Entry] = [:]
        for p in participants where p.node != nodeID && p.nodeLiveness != .dead {
            if let username = p.username { current[p.userID] = .init(username: username, node: p.node) }
        }
        let known = roster.members(of: room)
        let missingNodes = Set(known.filter { current[$0.key] == nil }.map(\.value.node))
        var facts: [String: Reconciliation.NodeFacts] = [:]
        for node in missingNodes {
            let isLive = live[node] ?? false
            if isLive { silentSince[node] = nil } else if silentSince[node] == nil { silentSince[node] = now }
            let since = max(silentSince[node] ?? now, recoveredAt ?? now)
            facts[node] = .init(heartbeatLive: isLive, sweptSinceRecovery: sweptNodes.contains(node),
                                silentForTTL: !isLive && recoveredAt != nil && now - since >= heartbeatTTL)
        }
        let outcome = Reconciliation.reconcile(known: known, current: current) {
            facts[$0] ?? .init(heartbeatLive: false, sweptSinceRecovery: false, silentForTTL: false)
        }
        var deliveries: [Delivery] = []
        // What each untold member is still owed: the remote users it was not told about and who stay.
        let neverTold = untold.removeValue(forKey: room) ?? [:]
        for (member, users) in neverTold.sorted(by: { $0.key < $1.key }) {
            for user in users.subtracting(outcome.left).sorted() where user != member {
                guard let entry = known[user] else { continue }
                deliveries.append(.member(.userJoined(room: room, user: Participant(userID: user, username: entry.username)),
                                          to: member, room: room))
            }
        }
        for (user, entry) in outcome.joined where roster.add(user, username: entry.username, node: entry.node, room: room) {
            deliveries.append(.room(.userJoined(room: room, user: Participant(userID: user, username: entry.username)),
                                    room: room, excluding: user))
        }
        for user in outcome.left where roster.remove(user, room: room) {
            deliveries.append(.room(.userLeft(room: room, userID: user), room: room, excluding: user,
                                    unaware: Set(neverTold.filter { $0.value.contains(user) }.keys)))
        }
        if outcome.undecided.isEmpty { undecidedRooms.remove(room) } else { undecidedRooms.insert(room) }
        return deliveries
    }
}

/// A user's membership of one room, as a set element.
struct MemberKey: Hashable, Sendable {
    var user: UserID
    var room: String
}

extension MemberKey {
    init(_ member: RoomMember) { self.init(user: member.userID, room: member.room) }
}
