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
///
/// The bridge is a shell around `ClusterMembership`: it feeds it events under its lock, runs the jobs it returns on
/// its one serial job queue, and delivers the frames it decides after the lock is released, in the order decided.
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
    /// The membership state machine and the frames it decided, under one lock. Nothing is delivered or awaited
    /// while it is held (see `decide`).
    let state: Mutex<State>
    /// Every effect that waits on Redis runs here, one at a time, in order, on one task of `run()`.
    let jobQueue = Mutex<AsyncStream<Job>.Continuation?>(nil)

    typealias Job = ClusterMembership.Job
    typealias Delivery = ClusterMembership.Delivery

    struct State {
        var membership: ClusterMembership
        /// Frames decided under the lock and not yet delivered, in the order they were decided.
        var outbox: [Delivery] = []
        /// Some caller is delivering the outbox; frames added meanwhile are delivered by it, after its own.
        var delivering = false
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
        self.state = Mutex(State(membership: ClusterMembership(nodeID: configuration.nodeID, heartbeatTTL: configuration.heartbeatTTL)))
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

    var isClustered: Bool { state.withLock { $0.membership.isClustered } }

    /// Reads or changes the membership under the lock; nothing it decides is delivered here.
    func withMembership<R>(_ body: (inout ClusterMembership) -> R) -> R {
        state.withLock { body(&$0.membership) }
    }

    /// Changes the membership under the lock and delivers the frames it decides once the lock is released.
    /// Frames go out in the order they were decided, whichever caller delivers them: one decided under the lock
    /// before another is delivered before it (a `UserLeft` never overtakes the `UserJoined` it follows).
    func decide(_ body: (inout ClusterMembership) -> [Delivery]) {
        let deliverNow = state.withLock { state -> Bool in
            state.outbox += body(&state.membership)
            guard !state.delivering, !state.outbox.isEmpty else { return false }
            state.delivering = true
            return true
        }
        guard deliverNow else { return }
        while true {
            let batch = state.withLock { state -> [Delivery] in
                defer { state.outbox = [] }
                if state.outbox.isEmpty { state.delivering = false }
                return state.outbox
            }
            if batch.isEmpty { return }
            for delivery in batch { deliver(delivery) }
        }
    }

    private func deliver(_ delivery: Delivery) {
        switch delivery {
        case .member(let message, let user, let room):
            local.deliver(message, to: user, in: room)
        case .room(let message, let room, let excluding, let unaware) where unaware.isEmpty:
            local.deliver(message, toMembersOf: room, excluding: excluding)
        case .room(let message, let room, let excluding, let unaware):
            for member in local.localMembers(of: room) where member.userID != excluding && !unaware.contains(member.userID) {
                local.deliver(message, to: member.userID, in: room)
            }
        }
    }

    public var status: ClusterStatus {
        let (link, owed) = withMembership { ($0.link, $0.owedCount) }
        return ClusterStatus(mode: link.isClustered ? .cluster : .local, redisConnected: link.commandLinkUp,
                             subscriptionLive: link.subscriptionUp, unregisteredMembers: owed,
                             subscriptionDroppedEvents: subscriber.droppedEvents)
    }

    // MARK: - ClusterBridge

    public func nextUserID() async throws -> UserID {
        if let id = ids.nextLeased() {
            refillIDsInBackground()
            return id
        }
        if withMembership({ $0.link.commandLinkUp }), let id = try? await ids.next() {
            return id
        }
        // Cut off with no lease in hand (Redis was down when the node started): ids from this node's
        // own range far above the shared counter, so they collide with no leased id.
        return try provisionalIDs.next()
    }

    /// Below a quarter of a block, one lease (one INCRBY) on the job queue, off the joiner's path, keeps a spare block
    /// in hand before an outage. The joins of a burst that all find the lease short share one lease
    /// (`UserIDAllocator` has at most one in flight).
    private func refillIDsInBackground() {
        guard ids.available < refillThreshold, !ids.isLeasing, withMembership({ $0.link.commandLinkUp }) else { return }
        enqueue(.refillIDs)
    }

    var refillThreshold: Int { ids.blockSize / 4 }

    public func register(_ member: RoomMember) async throws(ProtocolError) -> [Participant] {
        guard case .register(let knownRemote) = withMembership({ $0.joinStarted(member) }) else { return [] }
        do {
            let participants = try await registry.join(ConnectionRecord(member), node: nodeID, announce: true).participants
            return withMembership { $0.joinRegistered(member, participants: participants) }
        } catch {
            // Redis went away mid-join, or the script failed: the joiner is a local member, registered again by
            // recovery or, if the node stays clustered, within a heartbeat interval.
            withMembership { $0.joinFailed(member, knownRemote: knownRemote) }
            logger.warning("cluster registration failed; joined locally",
                           metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)", "error": "\(error)"])
            return []
        }
    }

    public func unregister(_ member: RoomMember) async {
        let roomEmptyLocally = local.localMembers(of: member.room).isEmpty
        guard withMembership({ $0.left(member, roomEmptyLocally: roomEmptyLocally) }) else { return }
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
        withMembership { $0.nodeStopping() }
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
