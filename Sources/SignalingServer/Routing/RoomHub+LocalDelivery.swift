import Foundation
import SignalingProtocol

extension RoomHub: LocalDelivery {
    public func deliver(_ message: ServerMessage, toMembersOf room: String, excluding: UserID?) {
        let bytes = Connection.encode(message)
        let kind = ServerMessageKind(message)
        state.withLock { state in
            Self.deliver(bytes, kind: kind, toMembersOf: room, excluding: excluding, in: &state)
        }
    }

    @discardableResult
    public func deliver(_ message: ServerMessage, to userID: UserID, in room: String) -> Bool {
        let bytes = Connection.encode(message)
        let kind = ServerMessageKind(message)
        return state.withLock { state -> Bool in
            guard let member = state.rooms[room]?[userID] else { return false }
            if member.held != nil {
                state.rooms[room]![userID]!.held!.append(OutboundFrame(bytes: bytes, kind: kind, receivedAt: nil))
            } else {
                member.connection.send(bytes, kind: kind)
            }
            return true
        }
    }

    public func replaceUser(_ userID: UserID, keeping: UUID?) -> [RoomMember] {
        let (removed, rooms) = state.withLock { state -> ([RoomMember], Int) in
            var removed: [RoomMember] = []
            if let older = state.connectionOf[userID], older != keeping, let connection = state.connections[older] {
                if let member = Self.replace(connection, in: &state, metrics: metrics) { removed.append(member) }
            }
            return (removed, state.rooms.count)
        }
        metrics.rooms.set(rooms)
        return removed
    }

    public func localMembers() -> [RoomMember] {
        state.withLock { state in state.rooms.values.flatMap { $0.values.map(\.info) } }
    }

    public func joinedMembers() -> [RoomMember] {
        state.withLock { state in state.rooms.values.flatMap { $0.values.filter { $0.held == nil }.map(\.info) } }
    }

    public func localMembers(of room: String) -> [RoomMember] {
        state.withLock { state in state.rooms[room].map { $0.values.map(\.info) } ?? [] }
    }
}
