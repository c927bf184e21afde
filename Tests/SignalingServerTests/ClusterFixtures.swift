import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// The clusters of these tests: every node with a fast heartbeat, so that dead-node tests take seconds, not a minute.
extension NodeCluster {
    /// Heartbeats every 300 ms with a 1.5 s TTL.
    static let fastHeartbeat = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "1500ms"]

    /// `count` nodes with a fast heartbeat; node `i` with `--signal-routing routing[i]` when given.
    static func start(nodes count: Int, routing: [String]? = nil) async throws -> NodeCluster {
        try await start((0..<count).map { i in fastHeartbeat + (routing.map { ["--signal-routing", $0[i]] } ?? []) })
    }

    /// The participants hash of `room`: user id → node id.
    func participants(_ room: String) async throws -> [UInt64: String] {
        var out: [UInt64: String] = [:]
        for (user, node) in try await redis.hgetall("rooms:\(room):participants") { out[UInt64(user) ?? 0] = node }
        return out
    }
}

/// A signaling client: a WebSocket plus what it has been told about its room.
final class Peer: @unchecked Sendable {
    let ws: TestWebSocketClient
    let name: String
    private(set) var userID: UInt64 = 0
    private(set) var room = ""
    /// The other users this client believes are in its room, from RoomJoined, UserJoined and UserLeft.
    private(set) var view: [UInt64: String] = [:]
    /// Every message read so far, decoded.
    private(set) var log: [ServerMessage] = []

    init(ws: TestWebSocketClient, name: String) {
        self.ws = ws
        self.name = name
    }

    static func connect(_ node: NodeProcess, name: String) async throws -> Peer {
        Peer(ws: try await TestWebSocketClient.connect(port: node.port), name: name)
    }

    /// Joins and returns the `RoomJoined` participants.
    @discardableResult
    func join(_ room: String) async throws -> [Participant] {
        try await ws.send(#"{"type":"Join","room_name":"\#(room)","username":"\#(name)"}"#)
        let reply = try await next()
        guard case .roomJoined(let r, let id, let participants) = reply, r == room else {
            throw TestSupportError("\(name): expected RoomJoined, got \(reply)")
        }
        self.userID = id
        self.room = room
        return participants
    }

    func offer(to target: UInt64, sdp: String) async throws {
        try await ws.send(ClientMessage.offer(room: room, sdp: sdp, target: target).encoded())
    }

    /// The next message, folded into `view`.
    @discardableResult
    func next(timeout: Duration = .seconds(10)) async throws -> ServerMessage {
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
    func expect(_ what: String, timeout: Duration = .seconds(10), _ match: (ServerMessage) -> Bool) async throws -> ServerMessage {
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
    func readUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition() {
            guard clock.now < deadline else { throw TestSupportError("\(name): \(what) not within \(timeout); view \(view)") }
            try await next(timeout: deadline - clock.now)
        }
    }

    /// Proves that nothing else is queued for this client: asks the node for a round trip (a Leave of a
    /// room it is not in) and checks that the answer is the very next message.
    func expectNothingPending() async throws {
        try await ws.send(#"{"type":"Leave","room_name":"zz-marker"}"#)
        let message = try await next()
        guard case .error(let e) = message, e.code == .notInRoom else {
            Issue.record("\(name): unexpected \(message)")
            return
        }
    }
}
