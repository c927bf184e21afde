import ClusterState
import Logging
import RedisClient
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

/// The sentinel `EventRecorder.drain` publishes.
let sentinel = EventRecorder.sentinel

/// Runs `body` while a recorder listens on `channels` (subscribed before `body` starts).
func listening(on channels: [String], to server: RedisServer, _ body: (EventRecorder) async throws -> Void) async throws {
    let heard = try await EventRecorder.start(server, channels: channels)
    do {
        try await body(heard)
    } catch {
        await heard.stop()
        throw error
    }
    await heard.stop()
}

extension EventRecorder {
    /// The `cluster:messages` payloads that decode as cluster messages.
    func clusterMessages() -> [ClusterMessage] {
        on(ClusterChannels.messages).compactMap { try? ClusterMessage(json: $0.payload) }
    }

    /// The `cluster:events` payloads that decode as cluster events.
    func clusterEvents() -> [ClusterEvent] {
        on(ClusterChannels.events).compactMap { try? ClusterEvent(json: $0.payload) }
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
