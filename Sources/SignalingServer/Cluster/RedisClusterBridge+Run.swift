import ClusterState
import Foundation
import Logging
import RedisClient
import ServiceLifecycle
import SignalingProtocol

/// The bridge's background work, for as long as the node runs: both Redis links, the link state machine,
/// membership events and signals from other nodes, the heartbeat, and the periodic sweep.
extension RedisClusterBridge {
    public func run() async throws {
        let heartbeat = HeartbeatService(
            nodeID: nodeID, redis: client, interval: configuration.heartbeatInterval, ttl: configuration.heartbeatTTL,
            logger: logger,
            // Only while clustered: recovery writes the first heartbeat itself, after re-registering the users.
            shouldBeat: { [weak self] in self?.withMembership { $0.shouldBeat } ?? false },
            onBeat: { [weak self] beat in self?.heartbeatWritten(beat) })
        // Recorded now, applied on every (re)connect of the subscription.
        try? await subscriber.subscribe([ClusterChannels.messages, ClusterChannels.events, ClusterChannels.node(nodeID)])
        let (jobs, jobQueue) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .unbounded)
        self.jobQueue.withLock { $0 = jobQueue }

        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.subscriber.run() }
            group.addTask { await self.watchCommandLink() }
            group.addTask { await self.consumeSubscription() }
            group.addTask { await self.runJobs(jobs) }
            group.addTask { try? await heartbeat.run() }
            group.addTask { await self.periodicWork() }
            group.addTask { await self.watchRegistration() }
            // The node has drained its clients (each unregistered) before the bridge is shut down.
            try? await gracefulShutdown()
            await self.deregister()
            jobQueue.finish()
            group.cancelAll()
        }
    }

    // MARK: - Links

    private func watchCommandLink() async {
        for await state in client.stateUpdates() {
            switch state {
            case .connected: apply(.commandLinkUp)
            case .reconnecting, .closed: apply(.commandLinkDown)
            case .connecting: break
            }
        }
    }

    private func consumeSubscription() async {
        var droppedSeen = 0
        for await event in subscriber.events {
            switch event {
            case .subscribed(let reconnect): apply(.subscribed(reconnect: reconnect))
            case .disconnected: apply(.subscriptionLost)
            case .message(let message): await handle(message)
            }
            // Drops happen only while events wait unread, so reading them always reaches this check afterwards.
            let dropped = subscriber.droppedEvents
            if dropped != droppedSeen {
                subscriptionGap(dropped: dropped - droppedSeen, total: dropped)
                droppedSeen = dropped
            }
        }
    }

    /// The subscription dropped events because this node did not read them fast enough. Which rooms they concerned
    /// is unknown, so every local room is reconciled with the participants hashes, as after a `ServerStarted`: the
    /// node's clients converge on who is there. One such reconciliation is queued at a time.
    private func subscriptionGap(dropped: Int, total: Int) {
        let jobs = withMembership { $0.subscriptionGap() }
        logger.warning("cluster subscription dropped events; reconciling local rooms",
                       metadata: ["events.dropped": "\(dropped)", "events.dropped.total": "\(total)"])
        enqueue(jobs)
    }

    /// Feeds the state machine and carries out what it asks for.
    func apply(_ input: ClusterLink.Input) {
        let (actions, mode) = withMembership { membership in (membership.handle(input), membership.link.mode) }
        perform(actions, input: input, mode: mode)
    }

    /// A `foundSelfMissing` from any of the places that notice it: ignored unless clustered and running.
    func foundSelfMissing() {
        let (actions, mode) = withMembership { membership in (membership.foundSelfMissing(), membership.link.mode) }
        perform(actions, input: .foundSelfMissing, mode: mode)
    }

    private func perform(_ actions: [ClusterLink.Action], input: ClusterLink.Input, mode: ClusterLink.Mode) {
        for action in actions {
            switch action {
            case .recover:
                logger.info("redis reachable: re-entering the cluster")
                enqueue(.recover)
            case .enterLocalMode:
                logger.warning("cluster unreachable: local mode (same-node signaling only)",
                               metadata: ["input": "\(input)", "mode": "\(mode)"])
            case .enterClusterMode:
                logger.info("cluster mode")
            }
        }
    }

    func enqueue(_ job: Job) {
        _ = jobQueue.withLock { $0?.yield(job) }
    }

    func enqueue(_ jobs: [Job]) {
        for job in jobs { enqueue(job) }
    }

    private func runJobs(_ jobs: AsyncStream<Job>) async {
        for await job in jobs {
            switch job {
            case .recover:
                let ok = await recover()
                apply(.recoveryFinished(success: ok))
            case .reconcile(let rooms):
                guard withMembership({ $0.mayReconcile }) else { continue }
                await reconcile(rooms: rooms ?? Set(local.localMembers().map(\.room)))
            case .reconcileAfterGap:
                // Drops after this point queue another reconciliation; a degraded node reconciles every room when it
                // recovers anyway.
                guard withMembership({ $0.gapReconciliationStarts() }) else { continue }
                await reconcile(rooms: Set(local.localMembers().map(\.room)))
            case .registerOwed:
                guard isClustered else { continue }
                await registerOwed()
            case .unregister(let members):
                for member in members { await unregister(member) }
            case .refillIDs:
                try? await ids.refill(below: refillThreshold)
            case .confirmRecordsVanished(let write):
                await confirmRecordsVanished(write)
            }
        }
    }

    // MARK: - Heartbeat, sweep, retries

    private func heartbeatWritten(_ beat: HeartbeatService.Beat) {
        guard case .written(let write) = beat else { return }
        let joined = local.joinedMembers()
        // Our heartbeat key was gone (expired, swept, or Redis restarted empty between beats), or our users'
        // records are: re-enter the cluster exactly as after an outage.
        switch withMembership({ $0.heartbeatWritten(write, joined: joined) }) {
        case .fine: break
        case .vanished: registrationVanished(write)
        case .confirm: enqueue(.confirmRecordsVanished(write))
        }
    }

    /// A beat found no connections hash while this node has joined users. That is also what a beat sees when it
    /// runs alongside the first join (its record written after the beat looked, the join completed before the
    /// reply was read) or the last leave, so it is checked once more: a member whose join had completed before the
    /// check, and no registry change started in between. (A member who joined while the node was not clustered, or
    /// whose registration failed, has no record by design: it is owed, registered by recovery or `registerOwed`.)
    private func confirmRecordsVanished(_ write: HeartbeatWrite) async {
        let before = withMembership { $0.registryCheckpoint }
        guard let before, hasRegisteredMembers,
              let exists = try? await registry.connectionsHashExists(node: nodeID), !exists
        else { return }
        let unchanged = withMembership { $0.unchanged(since: before) }
        if unchanged, isClustered, hasRegisteredMembers { registrationVanished(write) }
    }

    /// Whether some joined member should have a record in Redis: one whose registration failed is owed, and its
    /// missing record is no sign that the node's registration vanished.
    private var hasRegisteredMembers: Bool {
        let joined = local.joinedMembers()
        guard !joined.isEmpty else { return false }
        return withMembership { $0.hasRegisteredMembers(joined) }
    }

    /// How often a clustered node checks that its heartbeat and records are still in Redis, whatever its heartbeat
    /// interval: PROTOCOL.md §2 has a node swept while alive notice within 5 s.
    static let registrationCheckInterval: Duration = .seconds(2)

    /// Every `registrationCheckInterval`, while clustered: whether this node's heartbeat and records are still in
    /// Redis. The heartbeat notices the same, but only once per heartbeat interval; a `ServerSwept` naming this node
    /// is the fast path (`sweptWhileAlive`), this is the backstop (a connections hash deleted by hand, a sweep whose
    /// event was missed).
    private func watchRegistration() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.registrationCheckInterval)
            } catch {
                return
            }
            await checkRegistration()
        }
    }

    /// The heartbeat missing, or the connections hash missing while some joined member should have a record, means
    /// the registration vanished. As in `confirmRecordsVanished`, only when no registry change (a join, a leave, a
    /// recovery) started meanwhile: a last leave under way also empties the hash.
    private func checkRegistration() async {
        guard isClustered, let before = withMembership({ $0.registryCheckpoint }) else { return }
        let expectsRecords = hasRegisteredMembers
        guard let found = try? await registry.registrationExists(node: nodeID),
              !found.heartbeat || (expectsRecords && !found.connectionsHash)
        else { return }
        let unchanged = withMembership { $0.unchanged(since: before) }
        guard unchanged, isClustered, !found.heartbeat || hasRegisteredMembers else { return }
        logger.warning("this node's registration vanished from Redis; re-registering",
                       metadata: ["heartbeat.found": "\(found.heartbeat)", "connections.found": "\(found.connectionsHash)"])
        foundSelfMissing()
    }

    /// A `ServerSwept` names this node: another sweeper found it dead (its heartbeat had lapsed or was deleted) and
    /// removed its users although it runs. It re-enters the cluster now, as after an outage.
    private func sweptWhileAlive(by sweeper: String) {
        guard withMembership({ $0.isClustered && !$0.stopping }) else { return }
        logger.warning("this node was swept while alive; re-registering", metadata: ["sweep.by": "\(sweeper)"])
        foundSelfMissing()
    }

    private func registrationVanished(_ write: HeartbeatWrite) {
        logger.warning("this node's registration vanished from Redis; re-registering",
                       metadata: ["heartbeat.previous": "\(write.previous.map(String.init) ?? "none")"])
        foundSelfMissing()
    }

    /// Once per heartbeat interval, with jitter: retry a failed recovery, sweep dead nodes, settle rooms whose
    /// departed remote users were undecided, and register members whose registration failed.
    private func periodicWork() async {
        let interval = configuration.heartbeatInterval
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval * Double.random(in: 0.8...1.2))
            } catch {
                return
            }
            apply(.tick)
            guard isClustered else { continue }
            do {
                let report = try await registry.sweep(by: nodeID)
                for node in report.nodes where node.outcome == .swept {
                    logger.notice("swept dead node", metadata: ["swept.node": "\(node.nodeID)", "users.removed": "\(node.usersRemoved)"])
                }
            } catch {
                logger.debug("sweep failed", metadata: ["error": "\(error)"])
            }
            enqueue(withMembership { $0.periodicJobs })
        }
    }

    // MARK: - Messages from other nodes

    func handle(_ message: PubSubMessage) async {
        if message.channel == ClusterChannels.events {
            guard let event = try? ClusterEvent(json: message.payload) else { return }
            guard event.nodeID != nodeID else {
                if case .serverSwept(_, _, let sweeper, _) = event { sweptWhileAlive(by: sweeper) }
                return
            }
            switch event {
            case .serverStarted:
                enqueue(withMembership { $0.heardServerStarted() })
            case .serverSwept(let node, _, _, _):
                enqueue(withMembership { $0.heardServerSwept(node: node) })
            case .serverStopping:
                break
            }
            return
        }
        guard let cluster = try? ClusterMessage(json: message.payload) else {
            logger.debug("ignoring unreadable cluster message", metadata: ["channel": "\(message.channel)"])
            return
        }
        guard cluster.concerns(node: nodeID) else { return }
        switch cluster {
        case .webRTCSignal(let signal):
            guard let delivered = SignalTranslation.serverMessage(signal) else { return }
            // Through the ordered deliveries, so that a signal never overtakes the `UserJoined` heard before it.
            decide { _ in [.member(delivered, to: signal.toUser, room: signal.roomID)] }
        case .userJoined(let joined):
            let members = local.localMembers(of: joined.roomID).map(\.userID)
            decide {
                $0.heardUserJoined(room: joined.roomID, user: joined.userID, username: joined.username,
                                   node: joined.sourceServer ?? "", localMembers: members)
            }
        case .userLeft(let left):
            decide { $0.heardUserLeft(room: left.roomID, user: left.userID) }
        case .userReplaced(let replaced):
            let removed = local.replaceUser(replaced.userID, keeping: UUID(uuidString: replaced.connectionID))
            // Unregistering waits on Redis: on the job queue, so that the signals heard after this are not held up.
            if !removed.isEmpty { enqueue(.unregister(removed)) }
        }
    }

    // MARK: - Shutdown

    /// Graceful shutdown, after the node has unregistered its members: remove whatever of this node is
    /// left in Redis, so that no sweep is needed.
    private func deregister() async {
        guard withMembership({ $0.link.commandLinkUp }) else { return }
        if let leftovers = try? await registry.records(onNode: nodeID) {
            for record in leftovers {
                _ = try? await registry.unregister(userID: record.userID, room: record.roomID, node: nodeID,
                                                   connectionID: record.connectionID, announce: true)
            }
        }
        try? await registry.removeHeartbeat(node: nodeID)
        logger.info("deregistered from the cluster")
    }
}
