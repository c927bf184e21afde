import Foundation
import RedisClient
import Synchronization

/// Records every message a Redis subscriber hears on some channels or patterns, from the moment `start` returns
/// until `stop`.
///
/// To show that something was *not* published, `drain` after the action: it publishes a sentinel and waits until the
/// sentinel is heard. Redis delivers to one subscriber in the order it ran the PUBLISH commands, so once the sentinel
/// is here, everything published before it is here too, and whatever is missing was never published.
public final class EventRecorder: Sendable {
    /// A message other than a sentinel, its payload as text.
    public struct Message: Sendable, CustomStringConvertible {
        public let channel: String
        public let payload: String

        public var description: String { "\(channel): \(payload)" }
    }

    /// The payload `drain` publishes.
    public static let sentinel = "test-sentinel"

    private let heard: Heard
    private let configuration: RedisConfiguration
    private let task: Task<Void, Never>

    private init(heard: Heard, configuration: RedisConfiguration, task: Task<Void, Never>) {
        self.heard = heard
        self.configuration = configuration
        self.task = task
    }

    deinit { task.cancel() }

    /// Starts recording every message on channels matching `patterns` (by default every `cluster:*` channel).
    public static func start(_ redis: RedisServer, patterns: [String] = ["cluster:*"]) async throws -> EventRecorder {
        try await start(redis, channels: [], patterns: patterns)
    }

    /// Starts recording every message on `channels`.
    public static func start(_ redis: RedisServer, channels: [String]) async throws -> EventRecorder {
        try await start(redis, channels: channels, patterns: [])
    }

    private static func start(_ redis: RedisServer, channels: [String], patterns: [String]) async throws -> EventRecorder {
        let configuration = try redis.configuration
        let subscriber = RedisSubscriber(configuration: configuration)
        // Remembered by the subscriber and sent before it reports `.subscribed`.
        try await subscriber.subscribe(channels)
        try await subscriber.psubscribe(patterns)
        let heard = Heard()
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await subscriber.run() }
                for await event in subscriber.events {
                    switch event {
                    case .subscribed: readyContinuation.yield()
                    case .message(let message): heard.append(message)
                    case .disconnected: break
                    }
                }
            }
            readyContinuation.finish()
        }
        for await _ in ready { break }
        return EventRecorder(heard: heard, configuration: configuration, task: task)
    }

    /// Every message heard, sentinels included, in order.
    public var all: [PubSubMessage] { heard.all }

    /// Every message heard on `channel`, sentinels included, in order.
    public func on(_ channel: String) -> [PubSubMessage] { all.filter { $0.channel == channel } }

    /// The messages heard apart from the sentinels, in order.
    public var seen: [Message] {
        all.compactMap { message in
            message.payload == Array(Self.sentinel.utf8)
                ? nil : Message(channel: message.channel, payload: String(decoding: message.payload, as: UTF8.self))
        }
    }

    /// The payloads of `seen`.
    public var payloads: [String] { seen.map(\.payload) }

    /// The payloads of `seen` that are JSON objects, decoded.
    public var objects: [[String: Any]] {
        seen.compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as? [String: Any] }
    }

    /// Publishes the sentinel on each of `channels` (each must be one this recorder listens to) and waits until it
    /// has been heard on all of them: from then on, every message published before this call is in `all`.
    public func drain(_ channels: [String], timeout: Duration = .seconds(20)) async throws {
        let sentinel = Array(Self.sentinel.utf8)
        func sentinels(on channel: String) -> Int { on(channel).filter { $0.payload == sentinel }.count }
        let before = Dictionary(channels.map { ($0, sentinels(on: $0)) }, uniquingKeysWith: { first, _ in first })
        let connection = try await RedisConnection.connect(configuration)
        defer { connection.close() }
        for channel in channels { try await connection.send("PUBLISH", channel, Self.sentinel) }
        try await eventually("the sentinel on \(channels.joined(separator: ", "))", timeout: timeout) {
            channels.allSatisfy { sentinels(on: $0) > before[$0, default: 0] }
        }
    }

    /// Stops listening; what was heard stays readable.
    public func stop() async {
        task.cancel()
        await task.value
    }

    private final class Heard: Sendable {
        private let messages = Mutex<[PubSubMessage]>([])

        func append(_ message: PubSubMessage) { messages.withLock { $0.append(message) } }
        var all: [PubSubMessage] { messages.withLock { $0 } }
    }
}
