import Foundation
import NIOCore
import SignalingProtocol
import Testing
@testable import SignalingServer

/// The hub's rules without sockets: two-phase joins hold events for the joiner, replacement happens in one step.
@Suite("Room hub", .timeLimit(.minutes(1)))
struct RoomHubTests {
    let metrics = NodeMetrics()

    func connection() -> Connection {
        Connection(queueLimit: 100, queueByteLimit: 1 << 20, logger: testLogger, metrics: metrics)
    }

    func member(_ connection: Connection, _ id: UserID, _ name: String, room: String = "r") -> RoomMember {
        RoomMember(userID: id, username: name, room: room, connectionID: connection.id, joinedAt: Date())
    }

    /// Everything queued for a connection, decoded.
    func drain(_ connection: Connection) async -> [ServerMessage] {
        guard let batch = connection.takeBatch() else { return [] }
        return batch.frames.map { try! ServerMessage.decode(Array(ServerFrame.payload(of: $0.bytes).readableBytesView)) }
    }

    func join(_ hub: RoomHub, _ connection: Connection, _ id: UserID, _ name: String, remote: [Participant] = []) {
        _ = hub.bind(connection, to: id)
        let m = member(connection, id, name)
        #expect(hub.beginJoin(connection, as: m) == .started)
        #expect(hub.completeJoin(connection, as: m, remote: remote))
    }

    @Test func eventsForAPendingJoinerWaitForItsRoomJoined() async {
        let hub = RoomHub(maxConnections: 10, metrics: metrics)
        let a = connection(), b = connection()
        #expect(hub.admit(a) == .admitted)
        #expect(hub.admit(b) == .admitted)
        join(hub, a, 1, "a")
        _ = hub.bind(b, to: 2)
        let mb = member(b, 2, "b")
        #expect(hub.beginJoin(b, as: mb) == .started)
        // While b's registration is in flight, a remote user's UserJoined arrives for the room.
        hub.deliver(.userJoined(room: "r", user: Participant(userID: 7, username: "remote")), toMembersOf: "r", excluding: 7)
        #expect(b.queuedCount == 0, "held until RoomJoined")
        #expect(hub.completeJoin(b, as: mb, remote: [Participant(userID: 7, username: "remote"), Participant(userID: 2, username: "b")]))
        let bSees = await drain(b)
        #expect(bSees.first == .roomJoined(room: "r", userID: 2, participants: [
            Participant(userID: 1, username: "a"), Participant(userID: 7, username: "remote"),
        ]))
        #expect(bSees.dropFirst().first == .userJoined(room: "r", user: Participant(userID: 7, username: "remote")))
        let aSees = await drain(a)
        #expect(aSees.suffix(1) == [.userJoined(room: "r", user: Participant(userID: 2, username: "b"))])
    }

    @Test func pendingMembersAreNotRelayTargetsAndAbortUndoes() {
        let hub = RoomHub(maxConnections: 10, metrics: metrics)
        let a = connection(), b = connection()
        _ = hub.admit(a)
        _ = hub.admit(b)
        join(hub, a, 1, "a")
        _ = hub.bind(b, to: 2)
        let mb = member(b, 2, "b")
        _ = hub.beginJoin(b, as: mb)
        let bytes = ByteBuffer(string: "x")
        #expect(hub.route(from: a, room: "r", to: 2, bytes, kind: .offer, receivedAt: .now) == .rejected(.targetNotFound(2, room: "r")))
        hub.abortJoin(b, as: mb)
        #expect(hub.room(of: b) == nil)
        #expect(hub.route(from: a, room: "r", to: 3, bytes, kind: .offer, receivedAt: .now) == .remote)
        #expect(hub.route(from: b, room: "r", to: 1, bytes, kind: .offer, receivedAt: .now) == .rejected(.notInRoom("r")))
    }

    @Test func replacementIsOneStep() async {
        let hub = RoomHub(maxConnections: 10, metrics: metrics)
        let old = connection(), mate = connection(), new = connection()
        for c in [old, mate, new] { _ = hub.admit(c) }
        join(hub, old, 42, "alice")
        join(hub, mate, 43, "mate")
        _ = await drain(mate)
        _ = await drain(old)
        let removed = hub.bind(new, to: 42)
        #expect(removed.map(\.userID) == [42])
        #expect(await drain(mate) == [.userLeft(room: "r", userID: 42)])
        guard let batch = old.takeBatch(), let close = batch.close else {
            Issue.record("old connection not closed")
            return
        }
        #expect(close.code == CloseCode.replaced)
        #expect(batch.frames.count == 1)
        // The replaced connection takes part in nothing any more.
        #expect(hub.beginJoin(old, as: member(old, 42, "alice")) == .gone)
        #expect(hub.replaceUser(42, keeping: new.id).isEmpty)
    }

    @Test func drainEmptiesRoomsAndRefusesNewConnections() async {
        let hub = RoomHub(maxConnections: 10, metrics: metrics)
        let a = connection(), b = connection()
        _ = hub.admit(a)
        _ = hub.admit(b)
        join(hub, a, 1, "a")
        join(hub, b, 2, "b")
        let (members, connections) = hub.drain()
        #expect(Set(members.map(\.userID)) == [1, 2])
        #expect(connections.count == 2)
        #expect(hub.roomCount == 0)
        #expect(hub.admit(connection()) == .draining)
        let heard = await drain(a) + drain(b)
        #expect(heard.filter { if case .userLeft = $0 { true } else { false } }.count == 1)
    }

    @Test func maxConnections() {
        let hub = RoomHub(maxConnections: 1, metrics: metrics)
        let a = connection()
        #expect(hub.admit(a) == .admitted)
        #expect(hub.admit(connection()) == .busy)
        _ = hub.remove(a)
        #expect(hub.admit(connection()) == .admitted)
    }
}
