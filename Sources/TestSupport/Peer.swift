import Foundation
import SignalingProtocol

/// A signaling client: a WebSocket plus what it has been told about its room.
public final class Peer: @unchecked Sendable {
    public let ws: TestWebSocketClient
    public let name: String
    public private(set) var userID: UInt64 = 0
    public private(set) var room = ""
    /// The other users this client believes are in its room, from RoomJoined, UserJoined and UserLeft.
    public private(set) var view: [UInt64: String] = [:]
    /// Every message read so far, decoded.
    public private(set) var log: [ServerMessage] = []

    public init(ws: TestWebSocketClient, name: String) {
        self.ws = ws
        self.name = name
    }

    /// Connects to `node` and joins `room`.
    public static func join(_ node: NodeProcess, name: String, room: String) async throws -> Peer {
        let peer = try await connect(node, name: name)
        try await peer.join(room)
        return peer
    }

    public static func connect(_ node: NodeProcess, name: String) async throws -> Peer {
        Peer(ws: try await TestWebSocketClient.connect(port: node.port), name: name)
    }

    /// Joins and returns the `RoomJoined` participants.
    @discardableResult
    public func join(_ room: String) async throws -> [Participant] {
        try await ws.send(#"{"type":"Join","room_name":"\#(room)","username":"\#(name)"}"#)
        let reply = try await next()
        guard case .roomJoined(let r, let id, let participants) = reply, r == room else {
            throw TestSupportError("\(name): expected RoomJoined, got \(reply)")
        }
        self.userID = id
        self.room = room
        return participants
    }

    public func offer(to target: UInt64, sdp: String) async throws {
        try await ws.send(ClientMessage.offer(room: room, sdp: sdp, target: target).encoded())
    }

    /// The next message, folded into `view`. The default timeouts here are bounds for a failing test, not a pace:
    /// long enough that a machine stalled for several seconds does not fail a passing one.
    @discardableResult
    public func next(timeout: Duration = .seconds(20)) async throws -> ServerMessage {
        let text = try await ws.next(timeout: timeout)
        let message = try ServerMessage.decode(text)
        log.append(message)
        switch message {
        case .roomJoined(_, _, let participants):
            view = Dictionary(uniqueKeysWithValues: participants.map { ($0.userID, $0.username) })
        case .userJoined(_, let user): view[user.userID] = user.username
        case .userLeft(_, let id): view[id] = nil
        case .roomLeft: view = [:]
        default: break
        }
        return message
    }

    /// Reads until a message matches; fails after `timeout`.
    @discardableResult
    public func expect(_ what: String, timeout: Duration = .seconds(20), _ match: (ServerMessage) -> Bool) async throws -> ServerMessage {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let remaining = deadline - clock.now
            let message = try await next(timeout: remaining)
            if match(message) { return message }
        }
        throw TestSupportError("\(name): no \(what) within \(timeout)")
    }

    /// Reads messages until `condition` holds (it may hold already).
    public func readUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition() {
            guard clock.now < deadline else { throw TestSupportError("\(name): \(what) not within \(timeout); view \(view)") }
            try await next(timeout: deadline - clock.now)
        }
    }

    /// Proves that nothing else is queued for this client: asks the node for a round trip (a Leave of a
    /// room it is not in) and checks that the answer is the very next message.
    public func expectNothingPending() async throws {
        try await ws.send(#"{"type":"Leave","room_name":"zz-marker"}"#)
        let message = try await next()
        guard case .error(let e) = message, e.code == .notInRoom else {
            throw TestSupportError("\(name): unexpected \(message) while checking that nothing was pending")
        }
    }
}
