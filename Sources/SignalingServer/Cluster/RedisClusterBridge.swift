import ClusterState
import Foundation
import Logging
import RedisClient
import ServiceLifecycle
import SignalingProtocol
import Synchronization

/// Cluster mode: the node's seam to the other nodes, through Redis (PROTOCOL.md §2).
///
/// Two Redis links: a pipelined command connection (registry scripts, relays, heartbeats) and a pub/sub
/// subscription (`cluster:messages`, `cluster:events`, `cluster:node:{self}`). `ClusterLink` decides from
/// their health whether the node is clustered; while it is not, the node is in local mode: joins see
/// local users only, relays to remote users answer `server_busy`, and nothing is said about remote users.
/// When both links are back the node recovers (see `RedisClusterBridge+Recovery.swift`).
public final class RedisClusterBridge: ClusterBridge {
    let nodeID: String
    let configuration: NodeConfiguration
    let local: any LocalDelivery
    let logger: Logger
    let client: RedisClient
    let subscriber: RedisSubscriber
    let registry: ClusterRegistry
    let ids: UserIDAllocator
    let provisionalIDs: ProvisionalUserIDs
    let routing: SignalRouting
    let state = Mutex(State())
    /// Recoveries and reconciliations run one at a time, in order, on one task of `run()`.
    let jobQueue = Mutex<AsyncStream<Job>.Continuation?>(nil)

    struct State {
        var link = ClusterLink()
        var roster = RemoteRoster()
        /// When this node last finished recovering (for the reconciliation's silence rule).
        var recoveredAt: ContinuousClock.Instant?
        /// Nodes whose `ServerSwept` was heard since the last recovery.
        var sweptNodes: Set<String> = []
        /// When each node was first seen without a heartbeat during reconciliation.
        var silentSince: [String: ContinuousClock.Instant] = [:]
        /// Rooms with remote users whose departure is not yet decided.
        var undecidedRooms: Set<String> = []
        /// Local users who joined while the node was not clustered, or whose registration failed, were told about
        /// local users only: per room and member, the remote users the room's roster held at that join, which
        /// reconciliation still owes the member (and whose departure the member must not be told of).
        var untold: [String: [UserID: Set<UserID>]] = [:]
        /// Members whose registration failed while the node stayed clustered (a command that failed, not an
        /// outage, which recovery covers): registered again once per heartbeat interval (`registerOwed`).
        var owedRegistrations: [MemberKey: RoomMember] = [:]
        var recovering = false
        var stopping = false
        /// A reconciliation of every local room is queued because the subscription dropped events (one at a time,
        /// however many drops).
        var gapReconciliationQueued = false
        /// Registry changes started (joins, leaves, recoveries), so that a heartbeat that finds no connections hash
        /// can tell records that really vanished from a join or leave under way (see `confirmRecordsVanished`).
        var registryChanges: UInt64 = 0

        /// Drops `member`'s owed registration, unless a newer connection of the same user owes one in that room.
        mutating func settleOwed(_ member: RoomMember) {
            let key = MemberKey(member)
            if owedRegistrations[key]?.connectionID == member.connectionID { owedRegistrations[key] = nil }
        }

        /// Whether `member` is owed a registration (its record is missing by design).
        func isOwed(_ member: RoomMember) -> Bool { owedRegistrations[MemberKey(member)]?.connectionID == member.connectionID }
    }

    public init(configuration: NodeConfiguration, local: any LocalDelivery, logger: Logger) throws {
        self.nodeID = configuration.nodeID
        self.configuration = configuration
        self.local = local
        self.logger = logger
        let redis = try RedisConfiguration(url: configuration.redisURL)
        // Commands fail fast while Redis is away: the link state, not a waiting command, decides the mode.
        let policy = ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), commandWait: nil)
        self.client = RedisClient(configuration: redis, policy: policy, logger: logger)
        self.subscriber = RedisSubscriber(configuration: redis, policy: policy, bufferLimit: configuration.subscriptionBufferLimit,
                                          logger: logger)
        self.registry = ClusterRegistry(redis: client, logger: logger)
        self.ids = UserIDAllocator(redis: client, blockSize: max(1, configuration.userIDBlockSize), logger: logger)
        self.provisionalIDs = ProvisionalUserIDs(nodeID: configuration.nodeID)
        self.routing = configuration.signalRouting
    }

    /// The factory the node uses: cluster mode when configured, else the standalone bridge.
    public static let factory: ClusterBridgeFactory = { configuration, local, logger in
        guard configuration.clusterMode else { return LocalBridge() }
        do {
            return try RedisClusterBridge(configuration: configuration, local: local, logger: logger)
        } catch {
            // The configuration loader validated the URL already; this is a last line of defence.
            logger.error("cannot use REDIS_URL; running in local mode", metadata: ["error": "\(error)"])
            return LocalBridge()
        }
    }

    var isClustered: Bool { state.withLock { $0.link.isClustered } }

    public var status: ClusterStatus {
        let (clustered, commandUp, subscriptionUp, owed) = state.withLock {
            ($0.link.isClustered, $0.link.commandLinkUp, $0.link.subscriptionUp, $0.owedRegistrations.count)
        }
        return ClusterStatus(mode: clustered ? .cluster : .local, redisConnected: commandUp, subscriptionLive: subscriptionUp,
                             unregisteredMembers: owed, subscriptionDroppedEvents: subscriber.droppedEvents)
    }

    // MARK: - ClusterBridge

    public func nextUserID() async throws -> UserID {
        if let id = ids.nextLeased() {
            refillIDsInBackground()
            return id
        }
        if state.withLock({ $0.link.commandLinkUp }), let id = try? await ids.next() {
            return id
        }
        // Cut off with no lease in hand (Redis was down when the node started): ids from this node's
        // own range far above the shared counter, so they collide with no leased id.
        return try provisionalIDs.next()
    }

    private func refillIDsInBackground() {
        let threshold = ids.blockSize / 4
        guard ids.available < threshold, !ids.isLeasing, state.withLock({ $0.link.commandLinkUp }) else { return }
        // Leasing is one INCRBY, off the joiner's path, keeping a spare block in hand before an outage. The joins of a
        // burst that all find the lease short share one lease (`UserIDAllocator` has at most one in flight).
        Task { [ids] in try? await ids.refill(below: threshold) }
    }

    public func register(_ member: RoomMember) async throws(ProtocolError) -> [Participant] {
        // The remote users the room's other members know of now: what this member misses if it is told of local
        // users only. (Remote users who join meanwhile reach it as held events.)
        let (clustered, knownRemote) = state.withLock { state in
            (state.link.isClustered, Set(state.roster.members(of: member.room).keys))
        }
        guard clustered else {
            owe(member, missing: knownRemote)
            return []
        }
        let record = ConnectionRecord(member)
        state.withLock { $0.registryChanges &+= 1 }
        do {
            let participants = try await registry.join(record, node: nodeID, announce: true).participants
            var remote: [Participant] = []
            state.withLock { state in
                for p in participants where p.node != nodeID && p.userID != member.userID && p.nodeAlive {
                    guard let username = p.username else { continue }
                    _ = state.roster.add(p.userID, username: username, node: p.node, room: member.room)
                    remote.append(Participant(userID: p.userID, username: username))
                }
            }
            return remote
        } catch {
            // Redis went away mid-join, or the script failed: the joiner is a local member, registered again by
            // recovery or, if the node stays clustered, within a heartbeat interval.
            owe(member, missing: knownRemote)
            logger.warning("cluster registration failed; joined locally",
                           metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)", "error": "\(error)"])
            return []
        }
    }

    /// Records a member that joined without a registration: owed one (recovery or `registerOwed` writes it), and
    /// owed the `UserJoined` of the remote users in `missing` that are still in the room's roster.
    private func owe(_ member: RoomMember, missing: Set<UserID>) {
        state.withLock { state in
            let stillKnown = missing.intersection(state.roster.members(of: member.room).keys)
            state.untold[member.room, default: [:]][member.userID] = stillKnown
            state.owedRegistrations[MemberKey(member)] = member
        }
    }

    public func unregister(_ member: RoomMember) async {
        let roomEmptyLocally = local.localMembers(of: member.room).isEmpty
        state.withLock { state in
            state.registryChanges &+= 1
            state.untold[member.room]?[member.userID] = nil
            state.settleOwed(member)
            if roomEmptyLocally {
                state.roster.forget(room: member.room)
                state.untold[member.room] = nil
            }
        }
        guard state.withLock({ $0.link.commandLinkUp }) else { return }
        do {
            try await registry.unregister(userID: member.userID, room: member.room, node: nodeID,
                                          connectionID: ConnectionRecord.connectionID(member.connectionID), announce: true)
        } catch {
            // Recovery removes this node's records of users who are no longer here.
            logger.debug("cluster unregistration failed", metadata: ["user.id": "\(member.userID)", "error": "\(error)"])
        }
    }

    public func relay(_ signal: RelaySignal) async -> RelayOutcome {
        guard isClustered else { return .unavailable }
        guard let message = SignalTranslation.clusterSignal(signal, source: nodeID) else { return .targetNotFound }
        do {
            switch try await registry.relay(message, from: nodeID, routing: routing) {
            case .published: return .delivered
            case .notInRoom, .nodeDead, .onSender, .noReceiver: return .targetNotFound
            }
        } catch {
            return .unavailable
        }
    }

    public func claim(userID: UserID, connectionID: UUID) async {
        guard isClustered else { return }
        let message = ClusterMessage.userReplaced(.init(userID: userID, connectionID: ConnectionRecord.connectionID(connectionID),
                                                         targetServer: nil, sourceServer: nodeID))
        guard let receivers = try? await registry.publish(message), receivers > 1 else { return }
        // Other nodes close the older connection and unregister it; wait (at most 2 s) until no other node
        // holds a record for the user, so the new registration does not race the old one's removal.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        while clock.now < deadline {
            guard let holders = try? await registry.nodesHolding(userID: userID, except: nodeID), !holders.isEmpty else { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    public func nodeStopping() async {
        state.withLock { $0.stopping = true }
        guard isClustered else { return }
        _ = try? await registry.publish(ClusterEvent.serverStopping(nodeID: nodeID, at: Self.unixNow()))
    }

    static func unixNow() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

extension ConnectionRecord {
    init(_ member: RoomMember) {
        self.init(userID: member.userID, username: member.username, roomID: member.room,
                  connectedAt: member.joinedAt, connectionID: Self.connectionID(member.connectionID))
    }

    /// The record's form of a connection id: a lower-case UUID.
    static func connectionID(_ id: UUID) -> String { id.uuidString.lowercased() }
}
