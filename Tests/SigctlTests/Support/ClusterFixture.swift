import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// Polls `condition` until it holds; fails after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        guard clock.now < deadline else { throw TestSupportError("\(what): not within \(timeout)") }
        try await Task.sleep(for: .milliseconds(25))
    }
}

/// A real Redis and real `sigctl serve --cluster-mode` nodes, each with its own heartbeat settings.
final class OpsCluster: @unchecked Sendable {
    let redis: RedisServer
    let nodes: [NodeProcess]
    let ids: [String]

    /// Heartbeat every 300 ms, TTL 1.5 s: a live node that also sweeps often.
    static let fast = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "1500ms"]
    /// A survivor that does not sweep during a test (its first sweep comes after at least 96 s), so that only
    /// `sigctl sweep` sweeps.
    static let slow = ["--heartbeat-interval", "120s", "--heartbeat-ttl", "360s"]
    /// A node meant to be killed: its heartbeat is gone one second after its death.
    static let victim = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "1s"]

    private init(redis: RedisServer, nodes: [NodeProcess], ids: [String]) {
        self.redis = redis
        self.nodes = nodes
        self.ids = ids
    }

    /// One node per element of `heartbeats`, all in cluster mode, started in order.
    static func start(_ heartbeats: [[String]]) async throws -> OpsCluster {
        let redis = try await RedisServer.start()
        var nodes: [NodeProcess] = []
        var ids: [String] = []
        let run = UUID().uuidString.prefix(4).lowercased()
        for (i, heartbeat) in heartbeats.enumerated() {
            let id = "ops-\(run)-n\(i)"
            ids.append(id)
            nodes.append(try await NodeProcess.start(arguments: [
                "--cluster-mode", "--redis-url", redis.url, "--node-id", id, "--log-level", "debug",
            ] + heartbeat))
        }
        let cluster = OpsCluster(redis: redis, nodes: nodes, ids: ids)
        for i in nodes.indices {
            try await eventually("node \(i) in cluster mode") { (try? await cluster.health(i))?["mode"] as? String == "cluster" }
        }
        return cluster
    }

    func health(_ i: Int) async throws -> [String: Any] {
        let result = try await httpGet(port: nodes[i].port, path: "/health", timeout: .seconds(2))
        return (try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any]) ?? [:]
    }
}

// MARK: - Reading Redis directly

extension RedisServer {
    func withConnection<T>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        let connection = try await connect()
        defer { connection.close() }
        return try await body(connection)
    }

    func hgetall(_ key: String) async throws -> [String: String] {
        try await withConnection { c in
            let flat = try await c.send("HGETALL", key).stringArray ?? []
            var out: [String: String] = [:]
            var i = 0
            while i + 1 < flat.count {
                out[flat[i] ?? ""] = flat[i + 1] ?? ""
                i += 2
            }
            return out
        }
    }

    func exists(_ key: String) async throws -> Bool {
        try await withConnection { try await $0.send("EXISTS", key).int == 1 }
    }

    func get(_ key: String) async throws -> String? {
        try await withConnection { c in
            let reply = try await c.send("GET", key)
            return reply.isNull ? nil : reply.string
        }
    }

    func ttl(_ key: String) async throws -> Int64 {
        try await withConnection { try await $0.send("TTL", key).int ?? -3 }
    }

    /// Every key matching `pattern`, with SCAN.
    func keys(_ pattern: String = "*") async throws -> Set<String> {
        try await withConnection { c in
            var keys = Set<String>()
            var cursor = "0"
            repeat {
                let reply = try await c.send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).array ?? []
                guard reply.count == 2 else { break }
                cursor = reply[0].string ?? "0"
                keys.formUnion((reply[1].stringArray ?? []).compactMap { $0 })
            } while cursor != "0"
            return keys
        }
    }

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

/// Records every message on `cluster:*`, from the moment `start` returns.
final class EventRecorder: @unchecked Sendable {
    private let task: Task<Void, Never>
    private let lock = NSLock()
    private var messages: [(channel: String, payload: String)] = []

    var seen: [(channel: String, payload: String)] { lock.withLock { messages } }

    /// The payloads seen, decoded as JSON objects.
    var objects: [[String: Any]] {
        seen.compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as? [String: Any] }
    }

    private init(task: Task<Void, Never>) { self.task = task }

    static func start(_ redis: RedisServer) async throws -> EventRecorder {
        let subscriber = RedisSubscriber(configuration: try redis.configuration)
        try await subscriber.psubscribe(["cluster:*"])
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let box = Box()
        let task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await subscriber.run() }
                for await event in subscriber.events {
                    switch event {
                    case .subscribed: readyContinuation.yield()
                    case .message(let m): box.recorder?.append(m.channel, String(decoding: m.payload, as: UTF8.self))
                    case .disconnected: break
                    }
                }
            }
        }
        let recorder = EventRecorder(task: task)
        box.recorder = recorder
        for await _ in ready { break }
        return recorder
    }

    private func append(_ channel: String, _ payload: String) { lock.withLock { messages.append((channel, payload)) } }

    func stop() async {
        task.cancel()
        await task.value
    }

    private final class Box: @unchecked Sendable {
        weak var recorder: EventRecorder?
    }
}
