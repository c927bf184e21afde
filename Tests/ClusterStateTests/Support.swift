import ClusterState
import Logging
import RedisClient
import Synchronization
import Testing
import TestSupport

/// A logger that drops everything (tests do not print).
let quietLogger = Logger(label: "test.cluster", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fresh redis-server and one connection to it, for one test.
func withRedis(_ body: (RedisServer, RedisConnection) async throws -> Void) async throws {
    let server = try await RedisServer.start()
    let connection = try await server.connect()
    defer {
        connection.close()
        server.stop()
    }
    try await body(server, connection)
}

/// Polls until `condition` holds, failing after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)")
    throw TestSupportError("timed out waiting for \(what)")
}

/// Messages heard by a test subscriber.
final class Heard: Sendable {
    private let messages = Mutex<[PubSubMessage]>([])

    func append(_ message: PubSubMessage) { messages.withLock { $0.append(message) } }
    var all: [PubSubMessage] { messages.withLock { $0 } }

    func on(_ channel: String) -> [PubSubMessage] { all.filter { $0.channel == channel } }

    func clusterMessages() -> [ClusterMessage] {
        on(ClusterChannels.messages).compactMap { try? ClusterMessage(json: $0.payload) }
    }

    func clusterEvents() -> [ClusterEvent] {
        on(ClusterChannels.events).compactMap { try? ClusterEvent(json: $0.payload) }
    }
}

let sentinel = "test-sentinel"

/// Runs `body` while a subscriber listens on `channels` (subscribed before `body` starts).
func listening(on channels: [String], to server: RedisServer, _ body: (Heard) async throws -> Void) async throws {
    let subscriber = RedisSubscriber(configuration: try server.configuration)
    let heard = Heard()
    let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
    try await withThrowingDiscardingTaskGroup { group in
        group.addTask { await subscriber.run() }
        group.addTask {
            for await event in subscriber.events {
                switch event {
                case .subscribed: readyContinuation.yield()
                case .message(let message): heard.append(message)
                case .disconnected: break
                }
            }
        }
        try await subscriber.subscribe(channels)
        var readyIterator = ready.makeAsyncIterator()
        _ = await readyIterator.next()
        try await body(heard)
        group.cancelAll()
    }
}

/// Publishes a sentinel on each channel and waits until the subscriber has heard them all: every message published
/// before has been heard by then (Redis delivers in order).
func drain(_ heard: Heard, channels: [String], via redis: RedisConnection) async throws {
    for channel in channels { try await redis.send("PUBLISH", channel, sentinel) }
    try await eventually("the sentinels") {
        let got = Set(heard.all.filter { $0.payload == Array(sentinel.utf8) }.map(\.channel))
        return got.isSuperset(of: channels)
    }
}

/// A record with fixed, readable values.
func record(_ user: UInt64, room: String, name: String? = nil) -> ConnectionRecord {
    ConnectionRecord(userID: user, username: name ?? "user\(user)", roomID: room, connectedAt: 1_704_103_200,
                     connectionID: "00000000-0000-4000-8000-\(String(String(user).suffix(12)).leftPadded(12))")
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Every key in the database with its type and content, for "nothing changed" checks.
func snapshot(_ redis: RedisConnection) async throws -> [String: String] {
    var result: [String: String] = [:]
    for try await batch in redis.scan(match: "*") {
        for item in batch {
            let key = item.name
            let type = try await redis.send("TYPE", key).string ?? ""
            switch type {
            case "hash":
                let flat = try await redis.send("HGETALL", key).stringArray ?? []
                var pairs: [String] = []
                var i = 0
                while i + 1 < flat.count { pairs.append("\(flat[i] ?? "")=\(flat[i + 1] ?? "")"); i += 2 }
                result[key] = "hash:" + pairs.sorted().joined(separator: "|")
            case "string":
                result[key] = "string:" + (try await redis.send("GET", key).string ?? "")
            default:
                result[key] = type
            }
        }
    }
    return result
}
