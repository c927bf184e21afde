import ClusterState
import Foundation
import SignalingProtocol
import Testing
@testable import SignalingServer

/// The bridge's membership bookkeeping without sockets: each race a fix closed is a case here.
@Suite("Cluster membership state machine")
struct ClusterMembershipTests {
    typealias Delivery = ClusterMembership.Delivery

    /// Time is an argument of the state machine: the tests move it by hand.
    struct TestClock {
        private(set) var now = ContinuousClock.now
        mutating func advance(by duration: Duration) { now = now + duration }
    }

    static let room = "r"
    static let ttl: Duration = .seconds(30)

    static func member(_ user: UserID, room: String = room, connection: UUID = UUID()) -> RoomMember {
        RoomMember(userID: user, username: "u\(user)", room: room, connectionID: connection, joinedAt: Date())
    }

    static func participant(_ user: UserID, node: String, room: String = room, liveness: NodeLiveness = .alive) -> RoomParticipant {
        RoomParticipant(userID: user, node: node,
                        record: ConnectionRecord(userID: user, username: "u\(user)", roomID: room, connectionID: UUID().uuidString.lowercased()),
                        recordStatus: .present, nodeLiveness: liveness)
    }

    static func joined(_ user: UserID, room: String = room) -> ServerMessage {
        .userJoined(room: room, user: Participant(userID: user, username: "u\(user)"))
    }

    static func left(_ user: UserID, room: String = room) -> ServerMessage { .userLeft(room: room, userID: user) }

    /// A node that has entered the cluster: both links up, recovery done at `at`.
    static func clustered(at: ContinuousClock.Instant = .now) -> ClusterMembership {
        var membership = ClusterMembership(nodeID: "a", heartbeatTTL: ttl)
        _ = membership.handle(.commandLinkUp)
        #expect(membership.handle(.subscribed(reconnect: false)) == [.recover])
        recover(&membership, at: at)
        #expect(membership.isClustered)
        return membership
    }

    static func recover(_ membership: inout ClusterMembership, at: ContinuousClock.Instant, registering members: [RoomMember] = []) {
        membership.recoveryStarted()
        for member in members { membership.registered(member) }
        membership.recovered(at: at)
        membership.recoveryEnded()
        _ = membership.handle(.recoveryFinished(success: true))
    }

    /// A clustered node with local member 1 in the room, told of remote users 10 and 11 on node `b`.
    static func withRemoteUsers(at: ContinuousClock.Instant = .now) -> ClusterMembership {
        var membership = clustered(at: at)
        let local = member(1)
        guard case .register = membership.joinStarted(local) else { Issue.record("not registering"); return membership }
        _ = membership.joinRegistered(local, participants: [participant(10, node: "b"), participant(11, node: "b")])
        return membership
    }

    // MARK: - Joins

    enum LinkState: String, CaseIterable { case clustered, recovering, degraded }

    static func membership(in state: LinkState) -> ClusterMembership {
        var membership = withRemoteUsers()
        switch state {
        case .clustered: break
        case .recovering: #expect(membership.handle(.subscribed(reconnect: true)) == [.enterLocalMode, .recover])
        case .degraded: #expect(membership.handle(.commandLinkDown) == [.enterLocalMode])
        }
        return membership
    }

    @Test(arguments: LinkState.allCases)
    func aJoinRegistersOnlyWhileClustered(state: LinkState) {
        var membership = Self.membership(in: state)
        let joiner = Self.member(2)
        let changes = membership.registryChanges
        let start = membership.joinStarted(joiner)
        switch state {
        case .clustered:
            #expect(start == .register(knownRemote: [10, 11]))
            #expect(!membership.isOwed(joiner))
            #expect(membership.registryChanges == changes + 1)
        case .recovering, .degraded:
            // Join during recovery (or an outage): a local member, owed its registration and the users it missed.
            #expect(start == .owed)
            #expect(membership.isOwed(joiner))
            #expect(membership.owedCount == 1)
            #expect(membership.untold[Self.room]?[2] == [10, 11])
        }
    }

    @Test func aRegisteredJoinListsLiveRemoteUsersOnly() {
        var membership = Self.clustered()
        let joiner = Self.member(2)
        _ = membership.joinStarted(joiner)
        var noName = Self.participant(13, node: "b")
        noName.recordStatus = .missing
        let remote = membership.joinRegistered(joiner, participants: [
            Self.participant(1, node: "a"),  // this node's own user
            Self.participant(2, node: "b"),  // the joiner itself (an older record elsewhere)
            Self.participant(10, node: "b"),
            Self.participant(11, node: "c", liveness: .dead),
            Self.participant(12, node: "d", liveness: .gone),
            noName,
        ])
        #expect(remote == [Participant(userID: 10, username: "u10")])
        #expect(membership.roster.members(of: Self.room).keys.sorted() == [10])
    }

    @Test func aFailedRegistrationIsOwedWhatTheRoomKnewWhenTheJoinBegan() {
        var membership = Self.withRemoteUsers()
        let joiner = Self.member(2)
        guard case .register(let known) = membership.joinStarted(joiner) else { Issue.record("not registering"); return }
        // User 11 leaves while the registration is in flight: the joiner is not owed it any more.
        #expect(membership.heardUserLeft(room: Self.room, user: 11) == [.room(Self.left(11), room: Self.room, excluding: 11)])
        membership.joinFailed(joiner, knownRemote: known)
        #expect(membership.isOwed(joiner))
        #expect(membership.untold[Self.room]?[2] == [10])
        #expect(membership.periodicJobs == [.registerOwed])
    }

    // MARK: - Join and leave during recovery

    @Test func aJoinDuringRecoveryIsToldOnlyWhatItMissed() {
        var clock = TestClock()
        var membership = Self.membership(in: .recovering)
        let joiner = Self.member(2)
        #expect(membership.joinStarted(joiner) == .owed)
        clock.advance(by: .seconds(1))
        // Recovery registers it (it was in the hub's snapshot or among the late joiners), then reconciles.
        membership.registered(joiner)
        membership.recovered(at: clock.now)
        membership.recoveryEnded()
        #expect(membership.handle(.recoveryFinished(success: true)) == [.enterClusterMode])
        #expect(!membership.isOwed(joiner))
        let deliveries = membership.reconciled(
            room: Self.room, live: ["b": true],
            participants: [Self.participant(10, node: "b"), Self.participant(11, node: "b"), Self.participant(12, node: "b")],
            now: clock.now)
        #expect(deliveries == [
            // Only the joiner hears of the users the room knew; everyone hears of the newcomer once.
            .member(Self.joined(10), to: 2, room: Self.room),
            .member(Self.joined(11), to: 2, room: Self.room),
            .room(Self.joined(12), room: Self.room, excluding: 12),
        ])
        #expect(membership.untold[Self.room] == nil)
    }

    struct LeaveCase: CustomTestStringConvertible, Sendable {
        var lastInRoom: Bool
        var commandLinkUp: Bool
        var testDescription: String { "last in room: \(lastInRoom), command link up: \(commandLinkUp)" }
    }

    @Test(arguments: [LeaveCase(lastInRoom: true, commandLinkUp: true), LeaveCase(lastInRoom: false, commandLinkUp: true),
                      LeaveCase(lastInRoom: true, commandLinkUp: false)])
    func aLeaveDuringRecoverySettlesWhatTheMemberWasOwed(_ leave: LeaveCase) {
        var membership = Self.membership(in: .recovering)
        if !leave.commandLinkUp { _ = membership.handle(.commandLinkDown) }
        let joiner = Self.member(2)
        #expect(membership.joinStarted(joiner) == .owed)
        let changes = membership.registryChanges
        // The member leaves before recovery got to it: its record is removed only if Redis is reachable.
        #expect(membership.left(joiner, roomEmptyLocally: leave.lastInRoom) == leave.commandLinkUp)
        #expect(membership.registryChanges == changes + 1)
        #expect(!membership.isOwed(joiner))
        #expect(membership.owedCount == 0)
        #expect(membership.untold[Self.room]?[2] == nil)
        #expect(membership.roster.members(of: Self.room).isEmpty == leave.lastInRoom)
        // Recovery's registration of the departed member settles nothing else, owes nothing.
        membership.registered(joiner)
        #expect(membership.periodicJobs == [])
    }

    @Test func registrationsRefusedByRecoveryAreRetried() {
        var membership = Self.clustered()
        let member = Self.member(2)
        _ = membership.handle(.subscribed(reconnect: true))
        membership.recoveryStarted()
        membership.registrationRefused(member)
        membership.recovered(at: .now)
        membership.recoveryEnded()
        _ = membership.handle(.recoveryFinished(success: true))
        #expect(membership.periodicJobs == [.registerOwed])
        #expect(membership.owedMembers == [member])
    }

    // MARK: - Retries and newer registrations

    enum Settling: String, CaseIterable { case registered, left, goneBeforeRetry }

    @Test(arguments: Settling.allCases)
    func aRetryOfAnOlderConnectionNeverSettlesANewerOne(settling: Settling) {
        var membership = Self.membership(in: .degraded)
        let older = Self.member(7)
        let newer = Self.member(7)  // the same user in the same room, on a new connection (a reloaded page)
        #expect(membership.joinStarted(older) == .owed)
        #expect(membership.joinStarted(newer) == .owed)
        #expect(!membership.isOwed(older))
        #expect(membership.isOwed(newer))
        switch settling {
        case .registered: membership.registered(older)
        case .left: _ = membership.left(older, roomEmptyLocally: false)
        case .goneBeforeRetry: membership.registered(older)  // `registerOwed` found it gone from the hub
        }
        #expect(membership.isOwed(newer))
        #expect(membership.owedMembers == [newer])
        membership.registered(newer)
        #expect(membership.owedCount == 0)
    }

    @Test func aRetryCountsAsARegistryChange() {
        var membership = Self.clustered()
        let checkpoint = membership.registryCheckpoint
        membership.retryStarted()
        #expect(checkpoint.map { membership.unchanged(since: $0) } == false)
    }

    // MARK: - Heartbeats and vanished records

    struct BeatCase: CustomTestStringConvertible, Sendable {
        var name: String
        var previous: Int64?
        var hashExists: Bool
        var joinedOwed: [Bool]
        var clustered = true
        var stopping = false
        var verdict: ClusterMembership.HeartbeatVerdict
        var testDescription: String { name }
    }

    @Test(arguments: [
        BeatCase(name: "all there", previous: 1, hashExists: true, joinedOwed: [false], verdict: .fine),
        BeatCase(name: "heartbeat key gone", previous: nil, hashExists: true, joinedOwed: [false], verdict: .vanished),
        BeatCase(name: "no hash, nobody joined (first join racing the beat)", previous: 1, hashExists: false, joinedOwed: [],
                 verdict: .fine),
        BeatCase(name: "no hash, a registered member", previous: 1, hashExists: false, joinedOwed: [false], verdict: .confirm),
        BeatCase(name: "no hash, owed members only", previous: 1, hashExists: false, joinedOwed: [true, true], verdict: .fine),
        BeatCase(name: "no hash, owed and registered", previous: 1, hashExists: false, joinedOwed: [true, false],
                 verdict: .confirm),
        BeatCase(name: "stopping", previous: nil, hashExists: false, joinedOwed: [false], stopping: true, verdict: .fine),
        BeatCase(name: "not clustered", previous: nil, hashExists: false, joinedOwed: [false], clustered: false, verdict: .fine),
    ])
    func aHeartbeatWrite(_ beat: BeatCase) {
        var membership = Self.clustered()
        var joined: [RoomMember] = []
        for (index, owed) in beat.joinedOwed.enumerated() {
            let member = Self.member(UserID(index + 1))
            if owed {
                _ = membership.joinStarted(member)
                membership.joinFailed(member, knownRemote: [])
            }
            joined.append(member)
        }
        if beat.stopping { membership.nodeStopping() }
        if !beat.clustered { _ = membership.handle(.subscriptionLost) }
        let write = HeartbeatWrite(previous: beat.previous, connectionsHashExists: beat.hashExists)
        #expect(membership.heartbeatWritten(write, joined: joined) == beat.verdict)
    }

    enum Meanwhile: String, CaseIterable { case nothing, joinStarted, leave, retry, recoveryStarted, stopping }

    /// A beat or a check finds no connections hash; a second look confirms it only if no registry change started
    /// between the two: the first join, a last leave, a retry or a recovery under way explain a missing hash.
    @Test(arguments: Meanwhile.allCases)
    func missingRecordsAreConfirmedOnlyWithoutARegistryChangeBetween(meanwhile: Meanwhile) {
        var membership = Self.clustered()
        guard let checkpoint = membership.registryCheckpoint else { Issue.record("no checkpoint"); return }
        switch meanwhile {
        case .nothing: break
        case .joinStarted: _ = membership.joinStarted(Self.member(3))
        case .leave: _ = membership.left(Self.member(3), roomEmptyLocally: true)
        case .retry: membership.retryStarted()
        case .recoveryStarted: membership.recoveryStarted()
        case .stopping: membership.nodeStopping()
        }
        #expect(membership.unchanged(since: checkpoint) == (meanwhile == .nothing))
    }

    @Test func noCheckStartsWhileRecoveringOrStopping() {
        var membership = Self.clustered()
        membership.recoveryStarted()
        #expect(membership.registryCheckpoint == nil)
        #expect(!membership.shouldBeat)
        membership.recoveryEnded()
        #expect(membership.registryCheckpoint != nil)
        #expect(membership.shouldBeat)
        membership.nodeStopping()
        #expect(membership.registryCheckpoint == nil)
    }

    @Test func foundSelfMissingRecoversOnlyAClusteredRunningNode() {
        var membership = Self.clustered()
        #expect(membership.foundSelfMissing() == [.enterLocalMode, .recover])
        #expect(membership.foundSelfMissing() == [])  // already recovering
        var stopping = Self.clustered()
        stopping.nodeStopping()
        #expect(stopping.foundSelfMissing() == [])
    }

    // MARK: - Heard from other nodes

    @Test func aHeardUserJoinedGoesToTheRoomOnce() {
        var membership = Self.withRemoteUsers()
        let hear = { (membership: inout ClusterMembership, locals: [UserID]) in
            membership.heardUserJoined(room: Self.room, user: 12, username: "u12", node: "b", localMembers: locals)
        }
        #expect(hear(&membership, []) == [])  // no local member in the room
        #expect(hear(&membership, [12]) == [])  // about a local member
        #expect(hear(&membership, [1]) == [.room(Self.joined(12), room: Self.room, excluding: 12)])
        #expect(hear(&membership, [1]) == [])  // re-announced after a recovery: de-duplicated
    }

    @Test func aHeardUserLeftGoesOnlyToThoseToldOfTheUser() {
        var membership = Self.withRemoteUsers()
        #expect(membership.heardUserLeft(room: Self.room, user: 99) == [])  // never known
        #expect(membership.heardUserLeft(room: Self.room, user: 10) == [.room(Self.left(10), room: Self.room, excluding: 10)])
        #expect(membership.heardUserLeft(room: Self.room, user: 10) == [])
    }

    @Test func nothingIsHeardWhileDegraded() {
        var membership = Self.membership(in: .degraded)
        #expect(membership.heardUserJoined(room: Self.room, user: 12, username: "u12", node: "b", localMembers: [1]) == [])
        #expect(membership.heardUserLeft(room: Self.room, user: 10) == [])
        #expect(!membership.mayReconcile)
    }

    @Test func serverEventsQueueReconciliations() {
        var membership = Self.clustered()
        #expect(membership.heardServerStarted() == [.reconcile(nil)])
        #expect(membership.heardServerSwept(node: "b") == [.reconcile(nil)])
        #expect(membership.sweptNodes == ["b"])
        Self.recover(&membership, at: .now)
        #expect(membership.sweptNodes == [])  // counted since the last recovery only
    }

    @Test func aSubscriptionGapQueuesOneReconciliationAtATime() {
        var membership = Self.clustered()
        #expect(membership.subscriptionGap() == [.reconcileAfterGap])
        #expect(membership.subscriptionGap() == [])
        let starts = membership.gapReconciliationStarts()
        #expect(starts)
        #expect(membership.subscriptionGap() == [.reconcileAfterGap])
        _ = membership.handle(.commandLinkDown)
        let startsDegraded = membership.gapReconciliationStarts()
        #expect(!startsDegraded)  // degraded: recovery reconciles every room
        #expect(membership.subscriptionGap() == [.reconcileAfterGap])
    }

    // MARK: - A member owed what it missed

    @Test func aMemberOwedWhatItMissedIsToldExactlyThat() {
        var clock = TestClock()
        var membership = Self.withRemoteUsers(at: clock.now)
        let joiner = Self.member(2)
        guard case .register(let known) = membership.joinStarted(joiner) else { Issue.record("not registering"); return }
        membership.joinFailed(joiner, knownRemote: known)  // told of local users only: owed 10 and 11
        // 10 leaves: member 1 hears it, the joiner (never told of 10) does not, and is no longer owed it.
        #expect(membership.heardUserLeft(room: Self.room, user: 10)
            == [.room(Self.left(10), room: Self.room, excluding: 10, unaware: [2])])
        // 12 joins: the whole room hears of it, the joiner included.
        #expect(membership.heardUserJoined(room: Self.room, user: 12, username: "u12", node: "b", localMembers: [1, 2])
            == [.room(Self.joined(12), room: Self.room, excluding: 12)])
        // The retry registers the joiner and reconciles: 11's node is live and no longer lists it.
        membership.retryStarted()
        membership.registered(joiner)
        clock.advance(by: .seconds(5))
        let deliveries = membership.reconciled(room: Self.room, live: ["b": true], participants: [Self.participant(12, node: "b")],
                                               now: clock.now)
        #expect(deliveries == [.room(Self.left(11), room: Self.room, excluding: 11, unaware: [2])])
        #expect(membership.untold[Self.room] == nil)
        #expect(membership.owedCount == 0)
    }

    @Test func aMemberOwedUsersWhoStayIsToldOfThemAlone() {
        var membership = Self.withRemoteUsers()
        let joiner = Self.member(2)
        guard case .register(let known) = membership.joinStarted(joiner) else { Issue.record("not registering"); return }
        membership.joinFailed(joiner, knownRemote: known)
        let deliveries = membership.reconciled(room: Self.room, live: ["b": true],
                                               participants: [Self.participant(10, node: "b"), Self.participant(11, node: "b")],
                                               now: .now)
        #expect(deliveries == [.member(Self.joined(10), to: 2, room: Self.room), .member(Self.joined(11), to: 2, room: Self.room)])
    }

    // MARK: - Reconciliation's departure rule, with the test clock

    struct DepartureCase: CustomTestStringConvertible, Sendable {
        var name: String
        var heartbeatLive: Bool
        var swept: Bool
        var silentFor: Duration
        var departs: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        DepartureCase(name: "node live without the user", heartbeatLive: true, swept: false, silentFor: .zero, departs: true),
        DepartureCase(name: "node swept since recovery", heartbeatLive: false, swept: true, silentFor: .zero, departs: true),
        DepartureCase(name: "node silent for a whole TTL", heartbeatLive: false, swept: false, silentFor: .seconds(30), departs: true),
        DepartureCase(name: "node silent, not yet re-registered", heartbeatLive: false, swept: false, silentFor: .seconds(29),
                      departs: false),
    ])
    func aMissingRemoteUserDepartsOnlyWhenItsAbsenceIsConclusive(_ departure: DepartureCase) {
        var clock = TestClock()
        var membership = Self.withRemoteUsers(at: clock.now)
        if departure.swept { _ = membership.heardServerSwept(node: "b") }
        let live = ["b": departure.heartbeatLive]
        // The first look starts the node's silence; the second comes `silentFor` later.
        let first = membership.reconciled(room: Self.room, live: live, participants: [Self.participant(10, node: "b")], now: clock.now)
        clock.advance(by: departure.silentFor)
        let second = membership.reconciled(room: Self.room, live: live, participants: [Self.participant(10, node: "b")], now: clock.now)
        let told = first + second
        #expect(told == (departure.departs ? [.room(Self.left(11), room: Self.room, excluding: 11)] : []))
        #expect(membership.undecidedRooms == (departure.departs ? [] : [Self.room]))
        #expect(membership.periodicJobs == (departure.departs ? [] : [.reconcile([Self.room])]))
    }

    @Test func silenceCountsFromTheRecoveryNotFromBefore() {
        var clock = TestClock()
        var membership = Self.withRemoteUsers(at: clock.now)
        // Node b is silent from the start...
        _ = membership.reconciled(room: Self.room, live: ["b": false], participants: [], now: clock.now)
        clock.advance(by: .seconds(25))
        // ... but this node recovered meanwhile (Redis restarted empty, say): b may simply not have re-registered yet.
        _ = membership.handle(.subscribed(reconnect: true))
        Self.recover(&membership, at: clock.now)
        #expect(membership.reconciled(room: Self.room, live: ["b": false], participants: [], now: clock.now) == [])
        clock.advance(by: .seconds(29))
        #expect(membership.reconciled(room: Self.room, live: ["b": false], participants: [], now: clock.now) == [])
        clock.advance(by: .seconds(1))
        #expect(membership.reconciled(room: Self.room, live: ["b": false], participants: [], now: clock.now)
            == [.room(Self.left(10), room: Self.room, excluding: 10), .room(Self.left(11), room: Self.room, excluding: 11)])
    }

    @Test func aRoomWithoutLocalMembersIsForgotten() {
        var membership = Self.withRemoteUsers()
        membership.reconcileFailed(Self.room)
        #expect(membership.periodicJobs == [.reconcile([Self.room])])
        membership.roomEmptied(Self.room)
        #expect(membership.periodicJobs == [])
        #expect(membership.nodesKnown(in: Self.room).isEmpty)
    }
}
