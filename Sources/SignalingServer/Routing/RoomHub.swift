import Foundation
import Logging
import NIOCore
import SignalingProtocol
import Synchronization

/// This node's connections and rooms: who is connected, who is in which room, and delivery to them.
///
/// One lock around plain dictionaries rather than an actor: every operation is a few lookups plus queueing frames
/// on bounded queues, never a wait, so callers (a session, the cluster layer) get their answer without a hop, and
/// a check and the delivery that depends on it happen atomically — a relay cannot reach a user who left in
/// between, and messages from one sender reach a target in the order they were routed.
///
/// Joining is two-phase because the cluster registration in between is asynchronous: `beginJoin` records the
/// member as *pending* (events for it are held), the bridge registers it, and `completeJoin` queues its
/// `RoomJoined` first and then whatever was held, so a joiner never misses an event that raced its join and never
/// sees one before its `RoomJoined`.
public final class RoomHub: Sendable {
    public enum Admission: Sendable, Equatable {
        case admitted
        /// At `MAX_CONNECTIONS`: `server_busy`, close 1013.
        case busy
        /// Shutting down: close 1001.
        case draining
    }

    public enum JoinStart: Sendable, Equatable {
        case started
        case rejected(ProtocolError)
        /// The connection was replaced or closed meanwhile; say nothing.
        case gone
    }

    public enum Route: Sendable, Equatable {
        /// Queued for a local target.
        case delivered
        case rejected(ProtocolError)
        /// The target is not on this node: hand it to the cluster.
        case remote
    }

    struct Member {
        let connection: Connection
        let info: RoomMember
        /// Non-nil while the join is in progress: frames for this member wait here until its `RoomJoined` is queued.
        var held: [OutboundFrame]?
    }

    struct State: ~Copyable {
        var connections: [UUID: Connection] = [:]
        var rooms: [String: [UserID: Member]] = [:]
        var roomOf: [UUID: String] = [:]
        var userOf: [UUID: UserID] = [:]
        var connectionOf: [UserID: UUID] = [:]
        /// Connections closed by a newer connection of the same user; they take part in nothing any more.
        var replaced: Set<UUID> = []
        var draining = false
    }

    let maxConnections: Int
    let metrics: NodeMetrics
    let state = Mutex(State())

    public init(maxConnections: Int, metrics: NodeMetrics) {
        self.maxConnections = maxConnections
        self.metrics = metrics
    }

    // MARK: Connections

    /// Counts a new connection in, unless the node is full or shutting down.
    public func admit(_ connection: Connection) -> Admission {
        let (admission, count) = state.withLock { state -> (Admission, Int) in
            if state.draining { return (.draining, state.connections.count) }
            guard state.connections.count < maxConnections else { return (.busy, state.connections.count) }
            state.connections[connection.id] = connection
            return (.admitted, state.connections.count)
        }
        metrics.connections.set(count)
        return admission
    }

    /// The connection has closed: it leaves its room (room-mates get `UserLeft`) and is forgotten. Returns the
    /// membership it had, which the cluster must unregister.
    public func remove(_ connection: Connection) -> RoomMember? {
        let (member, connections, rooms) = state.withLock { state -> (RoomMember?, Int, Int) in
            guard state.connections.removeValue(forKey: connection.id) != nil else {
                return (nil, state.connections.count, state.rooms.count)
            }
            let member = Self.removeMembership(of: connection.id, from: &state)
            Self.unbind(connection.id, in: &state)
            state.replaced.remove(connection.id)
            return (member, state.connections.count, state.rooms.count)
        }
        metrics.connections.set(connections)
        metrics.rooms.set(rooms)
        return member
    }

    /// Open connections.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Rooms with at least one member on this node.
    public var roomCount: Int { state.withLock { $0.rooms.count } }

    /// The room `connection` is in (or joining), if any.
    public func room(of connection: Connection) -> String? {
        state.withLock { $0.roomOf[connection.id] }
    }

    // MARK: Identity

    /// Makes `userID` the identity of `connection`. An older connection of the same user on this node is replaced:
    /// it gets `Error` `replaced` and close 4000, and leaves its room (room-mates get `UserLeft`) in the same step.
    /// Returns the memberships removed that way, for the cluster to unregister.
    public func bind(_ connection: Connection, to userID: UserID) -> [RoomMember] {
        let (removed, rooms) = state.withLock { state -> ([RoomMember], Int) in
            var removed: [RoomMember] = []
            if let older = state.connectionOf[userID], older != connection.id, let olderConnection = state.connections[older] {
                if let member = Self.replace(olderConnection, in: &state, metrics: metrics) { removed.append(member) }
            }
            state.connectionOf[userID] = connection.id
            state.userOf[connection.id] = userID
            return (removed, state.rooms.count)
        }
        metrics.rooms.set(rooms)
        return removed
    }

    // MARK: Rooms

    /// Phase one of a join: checks the room state and records `member` as pending.
    public func beginJoin(_ connection: Connection, as member: RoomMember) -> JoinStart {
        let (start, rooms) = state.withLock { state -> (JoinStart, Int) in
            guard state.connections[connection.id] != nil, !state.replaced.contains(connection.id),
                state.userOf[connection.id] == member.userID
            else { return (.gone, state.rooms.count) }
            if let current = state.roomOf[connection.id] {
                return (.rejected(.alreadyInRoom(current)), state.rooms.count)
            }
            state.rooms[member.room, default: [:]][member.userID] = Member(
                connection: connection, info: member, held: [])
            state.roomOf[connection.id] = member.room
            return (.started, state.rooms.count)
        }
        metrics.rooms.set(rooms)
        return start
    }

    /// Phase two: queues `RoomJoined` (local members and `remote` ones, without the joiner, sorted by id), then
    /// the events held meanwhile, and tells the local room-mates `UserJoined`. False when the member was removed
    /// in between (replaced or disconnected): the caller unregisters it from the cluster again.
    public func completeJoin(_ connection: Connection, as member: RoomMember, remote: [Participant]) -> Bool {
        state.withLock { state -> Bool in
            guard var entry = state.rooms[member.room]?[member.userID], entry.connection === connection,
                let held = entry.held
            else { return false }
            var participants: [UserID: Participant] = [:]
            for participant in remote where participant.userID != member.userID {
                participants[participant.userID] = participant
            }
            for (userID, other) in state.rooms[member.room]! where userID != member.userID && other.held == nil {
                participants[userID] = other.info.participant
            }
            let sorted = participants.values.sorted { $0.userID < $1.userID }
            connection.send(.roomJoined(room: member.room, userID: member.userID, participants: sorted))
            for frame in held { connection.send(frame.bytes, kind: frame.kind, receivedAt: frame.receivedAt) }
            entry.held = nil
            state.rooms[member.room]![member.userID] = entry

            let joined = Connection.encode(.userJoined(room: member.room, user: member.participant))
            Self.deliver(joined, kind: .userJoined, toMembersOf: member.room, excluding: member.userID, in: &state)
            return true
        }
    }

    /// Undoes `beginJoin` when the cluster refused the registration.
    public func abortJoin(_ connection: Connection, as member: RoomMember) {
        let rooms = state.withLock { state -> Int in
            if let entry = state.rooms[member.room]?[member.userID], entry.connection === connection, entry.held != nil {
                _ = Self.removeMembership(of: connection.id, from: &state)
            }
            return state.rooms.count
        }
        metrics.rooms.set(rooms)
    }

    /// `Leave`: `not_in_room` unless the connection is a member of `room`; otherwise removes it and tells the
    /// room-mates `UserLeft`.
    public func leave(_ connection: Connection, room: String) -> Result<RoomMember, ProtocolError> {
        let (result, rooms) = state.withLock { state -> (Result<RoomMember, ProtocolError>, Int) in
            guard let userID = state.userOf[connection.id], state.roomOf[connection.id] == room,
                let entry = state.rooms[room]?[userID], entry.connection === connection, entry.held == nil,
                let member = Self.removeMembership(of: connection.id, from: &state)
            else { return (.failure(.notInRoom(room)), state.rooms.count) }
            return (.success(member), state.rooms.count)
        }
        metrics.rooms.set(rooms)
        return result
    }

    /// A relayed message: checks that the sender is in `room` and delivers to a local target in the same room.
    /// `.remote` when the target is not on this node.
    public func route(
        from connection: Connection, room: String, to target: UserID, _ bytes: ByteBuffer, kind: ServerMessageKind,
        receivedAt: ContinuousClock.Instant
    ) -> Route {
        state.withLock { state -> Route in
            guard let sender = state.userOf[connection.id], state.roomOf[connection.id] == room,
                let entry = state.rooms[room]?[sender], entry.connection === connection, entry.held == nil
            else { return .rejected(.notInRoom(room)) }
            guard target != sender else { return .rejected(.targetNotFound(target, room: room)) }
            if let member = state.rooms[room]?[target] {
                guard member.held == nil else { return .rejected(.targetNotFound(target, room: room)) }
                member.connection.send(bytes, kind: kind, receivedAt: receivedAt)
                return .delivered
            }
            // Connected here but in another room (or none): it cannot also be in this room elsewhere.
            if state.connectionOf[target] != nil { return .rejected(.targetNotFound(target, room: room)) }
            return .remote
        }
    }

    // MARK: Shutdown

    /// Stops admitting connections and empties every room, telling each member's remaining room-mates `UserLeft`.
    /// Returns the memberships removed (for the cluster) and every open connection (to close with 1001).
    public func drain() -> (members: [RoomMember], connections: [Connection]) {
        let result = state.withLock { state -> ([RoomMember], [Connection]) in
            state.draining = true
            var removed: [RoomMember] = []
            for connectionID in state.roomOf.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
                if let member = Self.removeMembership(of: connectionID, from: &state) { removed.append(member) }
            }
            return (removed, Array(state.connections.values))
        }
        metrics.rooms.set(0)
        return result
    }

    // MARK: Locked helpers

    /// Removes the connection's membership (pending or active). Active members' room-mates get `UserLeft`.
    static func removeMembership(of connectionID: UUID, from state: inout State) -> RoomMember? {
        guard let room = state.roomOf.removeValue(forKey: connectionID), let userID = state.userOf[connectionID],
            let entry = state.rooms[room]?.removeValue(forKey: userID)
        else { return nil }
        if state.rooms[room]?.isEmpty == true { state.rooms[room] = nil }
        if entry.held == nil {
            let left = Connection.encode(.userLeft(room: room, userID: userID))
            deliver(left, kind: .userLeft, toMembersOf: room, excluding: userID, in: &state)
        }
        return entry.info
    }

    static func unbind(_ connectionID: UUID, in state: inout State) {
        if let userID = state.userOf.removeValue(forKey: connectionID), state.connectionOf[userID] == connectionID {
            state.connectionOf[userID] = nil
        }
    }

    /// Replacement "in one step": out of its room, unbound, `replaced` and close 4000 queued.
    static func replace(_ connection: Connection, in state: inout State, metrics: NodeMetrics) -> RoomMember? {
        let member = removeMembership(of: connection.id, from: &state)
        unbind(connection.id, in: &state)
        state.replaced.insert(connection.id)
        connection.send(.error(.replaced))
        connection.close(code: CloseCode.replaced, reason: "replaced by a newer connection")
        metrics.replacedConnections.increment()
        connection.logger.info("connection replaced by a newer one of the same user")
        return member
    }

    /// Queues `bytes` for every member of `room` but `excluding`; pending members hold it.
    static func deliver(
        _ bytes: ByteBuffer, kind: ServerMessageKind, toMembersOf room: String, excluding: UserID?,
        receivedAt: ContinuousClock.Instant? = nil, in state: inout State
    ) {
        guard var members = state.rooms[room] else { return }
        var changed = false
        for (userID, member) in members where userID != excluding {
            if member.held != nil {
                members[userID]!.held!.append(OutboundFrame(bytes: bytes, kind: kind, receivedAt: receivedAt))
                changed = true
            } else {
                member.connection.send(bytes, kind: kind, receivedAt: receivedAt)
            }
        }
        if changed { state.rooms[room] = members }
    }
}
