import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// The clusters of the operator tests: a real Redis and real `sigctl serve --cluster-mode` nodes named
/// `ops-<run>-n<i>`, each with its own heartbeat settings.
enum OpsCluster {
    /// Heartbeat every 300 ms, TTL 1.5 s: a live node that also sweeps often.
    static let fast = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "1500ms"]
    /// A survivor that does not sweep during a test (its first sweep comes after at least 96 s), so that only
    /// `sigctl sweep` sweeps.
    static let slow = ["--heartbeat-interval", "120s", "--heartbeat-ttl", "360s"]
    /// A node meant to be killed: its heartbeat is gone one second after its death.
    static let victim = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "1s"]

    /// One node per element of `heartbeats`, all in cluster mode, started in order.
    static func start(_ heartbeats: [[String]]) async throws -> NodeCluster {
        try await NodeCluster.start(heartbeats, idPrefix: "ops")
    }
}

// MARK: - Reading Redis directly

extension RedisServer {
    /// The cluster's state as far as a sweep may change it: every key, hashes with their content, strings with their
    /// value except heartbeats (a live node refreshes its own while the test runs), and TTL-carrying claim keys.
    func snapshot() async throws -> [String: String] {
        var out: [String: String] = [:]
        for key in try await keys() {
            let type = try await withConnection { try await $0.send("TYPE", key).string ?? "?" }
            switch type {
            case "hash":
                let content = try await hgetall(key)
                out[key] = content.keys.sorted().map { "\($0)=\(content[$0]!)" }.joined(separator: "\n")
            case "string":
                out[key] = key.hasSuffix(":heartbeat") ? "(heartbeat)" : (try await get(key) ?? "(nil)")
            default:
                out[key] = "(\(type))"
            }
        }
        return out
    }
}

// MARK: - Clients

/// A signaling client on one node: a WebSocket and the id the node gave it.
final class Peer: @unchecked Sendable {
    let ws: TestWebSocketClient
    let name: String
    private(set) var userID: UInt64 = 0
    private(set) var room = ""
    private(set) var log: [ServerMessage] = []

    private init(ws: TestWebSocketClient, name: String) {
        self.ws = ws
        self.name = name
    }

    /// Connects to `node` and joins `room`.
    static func join(_ node: NodeProcess, name: String, room: String) async throws -> Peer {
        let peer = Peer(ws: try await TestWebSocketClient.connect(port: node.port), name: name)
        try await peer.ws.send(#"{"type":"Join","room_name":"\#(room)","username":"\#(name)"}"#)
        let reply = try await peer.next()
        guard case .roomJoined(let r, let id, _) = reply, r == room else {
            throw TestSupportError("\(name): expected RoomJoined, got \(reply)")
        }
        peer.userID = id
        peer.room = room
        return peer
    }

    func offer(to target: UInt64, sdp: String) async throws {
        try await ws.send(ClientMessage.offer(room: room, sdp: sdp, target: target).encoded())
    }

    @discardableResult
    func next(timeout: Duration = .seconds(10)) async throws -> ServerMessage {
        let message = try ServerMessage.decode(try await ws.next(timeout: timeout))
        log.append(message)
        return message
    }

    /// Reads until a message matches; fails after `timeout`.
    @discardableResult
    func expect(_ what: String, timeout: Duration = .seconds(10), _ match: (ServerMessage) -> Bool) async throws -> ServerMessage {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let message = try await next(timeout: deadline - clock.now)
            if match(message) { return message }
        }
        throw TestSupportError("\(name): no \(what) within \(timeout)")
    }
}
