import Foundation
import Histogram
import Logging
import NIOCore
import SignalingProtocol
import Synchronization
import WSClient

/// Joins per second: `concurrency` joins in flight until `clients` joins completed, spread round-robin over one or
/// more nodes (a cluster), rooms filled to `roomSize` in join order.
///
/// Three ways to join, because they measure different paths:
/// - `keep`: each join is a new TCP connection, WebSocket handshake and `Join`; the connection stays open (joined)
///   until every client has joined. What a flash crowd of new browsers costs a node.
/// - `close`: the same, but each connection closes right after its `RoomJoined`, so the node also handles the
///   implicit `Leave` and teardown while others join, and the client count is not bounded by descriptors.
/// - `reuse`: each of the `concurrency` connections is opened once, then repeats `Join` → `RoomJoined` → `Leave` →
///   `RoomLeft`: the node's join path (validation, registry, room fan-out) without connection set-up, at the price
///   of one `Leave` per join.
public enum JoinRateBenchmark {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case keep, close, reuse

        public var summary: String {
            switch self {
            case .keep: "new connection per join (TCP + WebSocket handshake + Join), kept open until all joined"
            case .close: "new connection per join (TCP + WebSocket handshake + Join), closed after RoomJoined"
            case .reuse: "reused connections: Join, RoomJoined, Leave, RoomLeft, repeated on each connection"
            }
        }
    }

    public struct Options: Sendable {
        /// Node endpoints; client `i` (or, reusing connections, worker `i`) uses `urls[i % urls.count]`.
        public var urls: [String]
        public var clients = 1_000
        public var concurrency = 50
        public var roomSize = 4
        public var mode = Mode.keep
        /// The run fails when no join completes for this long.
        public var stallTimeout: Duration = .seconds(30)
        /// Prefix of the room names, unique per run by default so that runs against one cluster never share rooms.
        public var roomPrefix = "joins-\(UUID().uuidString.prefix(8).lowercased())"

        public init(urls: [String]) {
            self.urls = urls
        }
    }

    /// Latency percentiles in microseconds.
    public struct Latency: Sendable, Codable, Equatable {
        public var p50: Double, p90: Double, p99: Double, max: Double, mean: Double
        public var count: Int

        init(_ histogram: Histogram<UInt64>) {
            p50 = Double(histogram.valueAtPercentile(50))
            p90 = Double(histogram.valueAtPercentile(90))
            p99 = Double(histogram.valueAtPercentile(99))
            max = Double(histogram.max)
            mean = histogram.totalCount == 0 ? 0 : histogram.mean
            count = Int(histogram.totalCount)
        }
    }

    public struct NodeCount: Sendable, Codable, Equatable {
        public var url: String
        public var joined: Int
    }

    public struct Report: Sendable, Codable {
        public var mode: Mode
        public var modeSummary: String
        public var clients: Int
        public var concurrency: Int
        public var roomSize: Int
        public var joined: Int
        /// Failed joins by cause: a protocol error code (`server_busy`, …), `connect_failed` (no connection or no
        /// WebSocket upgrade) or `closed` (the connection ended before `RoomJoined`).
        public var errors: [String: Int]
        public var errorCount: Int
        /// From the first connection attempt to the last `RoomJoined`.
        public var seconds: Double
        public var joinsPerSecond: Double
        public var joinsPerSecondPerNode: Double
        public var nodes: [NodeCount]
        /// New connections only: from the start of the TCP connect to `RoomJoined`.
        public var connectToJoinedUs: Latency?
        /// From writing `Join` to reading `RoomJoined`.
        public var joinToJoinedUs: Latency

        enum CodingKeys: String, CodingKey {
            case mode, modeSummary = "mode_summary", clients, concurrency, roomSize = "room_size", joined
            case errors = "errors_by_code"
            case errorCount = "errors", seconds, joinsPerSecond = "joins_per_second"
            case joinsPerSecondPerNode = "joins_per_second_per_node", nodes
            case connectToJoinedUs = "connect_to_joined_us", joinToJoinedUs = "join_to_joined_us"
        }
    }

    private struct State {
        var connectToJoined = makeHistogram()
        var joinToJoined = makeHistogram()
        var joinedByURL: [Int] = []
        var errors: [String: Int] = [:]
        var completed = 0
        var lastJoined: ContinuousClock.Instant?
    }

    private enum Outcome: Sendable {
        case joined(url: Int, connectToJoined: Duration?, joinToJoined: Duration)
        case failed(String)
    }

    public static func run(_ options: Options, logger: Logger) async throws -> Report {
        precondition(!options.urls.isEmpty && options.clients > 0 && options.concurrency > 0 && options.roomSize > 0)
        let clock = ContinuousClock()
        let state = Locked(State())
        state.withLock { $0.joinedByURL = Array(repeating: 0, count: options.urls.count) }
        let start = clock.now

        @Sendable func record(_ outcome: Outcome) {
            state.withLock { state in
                state.completed += 1
                switch outcome {
                case .joined(let url, let connect, let join):
                    state.joinedByURL[url] += 1
                    state.lastJoined = clock.now
                    if let connect { _ = state.connectToJoined.record(microseconds(connect)) }
                    _ = state.joinToJoined.record(microseconds(join))
                case .failed(let code):
                    state.errors[code, default: 0] += 1
                }
            }
        }

        switch options.mode {
        case .keep, .close:
            try await runNewConnections(options, logger: logger, clock: clock, record: record,
                                        completed: { state.withLock { $0.completed } })
        case .reuse:
            try await runReusedConnections(options, logger: logger, clock: clock, record: record,
                                           completed: { state.withLock { $0.completed } })
        }

        return state.withLock { state in
            let joined = state.joinedByURL.reduce(0, +)
            let seconds = ((state.lastJoined ?? clock.now) - start).seconds
            let rate = seconds > 0 ? Double(joined) / seconds : 0
            return Report(
                mode: options.mode, modeSummary: options.mode.summary, clients: options.clients,
                concurrency: options.concurrency, roomSize: options.roomSize, joined: joined,
                errors: state.errors, errorCount: state.errors.values.reduce(0, +), seconds: seconds,
                joinsPerSecond: rate, joinsPerSecondPerNode: rate / Double(options.urls.count),
                nodes: zip(options.urls, state.joinedByURL).map { NodeCount(url: $0, joined: $1) },
                connectToJoinedUs: options.mode == .reuse ? nil : Latency(state.connectToJoined),
                joinToJoinedUs: Latency(state.joinToJoined))
        }
    }

    // MARK: - New connection per join

    private enum Event: Sendable {
        case done
        case tick
    }

    private static func runNewConnections(
        _ options: Options, logger: Logger, clock: ContinuousClock, record: @escaping @Sendable (Outcome) -> Void,
        completed: @escaping @Sendable () -> Int
    ) async throws {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let kept = KeptConnections()
        let finished = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            func startClient(_ index: Int, in group: inout ThrowingTaskGroup<Void, Error>) {
                let url = index % options.urls.count
                group.addTask {
                    await joinOnNewConnection(
                        index: index, url: url, options: options, logger: logger, clock: clock, kept: kept
                    ) { outcome in
                        record(outcome)
                        continuation.yield(.done)
                    }
                }
            }
            while started < min(options.concurrency, options.clients) {
                startClient(started, in: &group)
                started += 1
            }
            group.addTask {
                while !finished.withLock({ $0 }) {
                    try await Task.sleep(for: .milliseconds(100))
                    continuation.yield(.tick)
                }
            }
            var done = 0
            var lastProgress = clock.now
            var progress = 0
            for await event in events {
                switch event {
                case .done:
                    done += 1
                    if started < options.clients {
                        startClient(started, in: &group)
                        started += 1
                    }
                case .tick:
                    let now = completed()
                    if now != progress {
                        progress = now
                        lastProgress = clock.now
                    } else if clock.now - lastProgress > options.stallTimeout {
                        finished.withLock { $0 = true }
                        group.cancelAll()
                        throw SimulationError(
                            "no join completed for \(options.stallTimeout) (\(now) of \(options.clients) done)")
                    }
                }
                if done == options.clients { break }
            }
            finished.withLock { $0 = true }
            // Kept connections are closed only now, all joined at once.
            for writer in kept.writers.withLock({ $0 }) {
                try? await writer.close(.normalClosure, reason: nil)
            }
            continuation.finish()
            try await group.waitForAll()
        }
    }

    /// One client: connect, `Join`, wait for `RoomJoined`; then hold the connection (`keep`) or close it.
    private static func joinOnNewConnection(
        index: Int, url: Int, options: Options, logger: Logger, clock: ContinuousClock,
        kept: KeptConnections, report: @escaping @Sendable (Outcome) -> Void
    ) async {
        let room = "\(options.roomPrefix)-\(index / options.roomSize)"
        let join = ClientMessage.join(room: room, username: "joiner-\(index)", token: nil).encoded()
        let reported = Locked(false)
        @Sendable func once(_ outcome: Outcome) {
            guard reported.withLock({ let first = !$0; $0 = true; return first }) else { return }
            report(outcome)
        }
        let connectStart = clock.now
        do {
            try await WebSocketClient.connect(
                url: options.urls[url], configuration: clientConfiguration, logger: logger
            ) { inbound, outbound, _ in
                let joinSent = clock.now
                try await outbound.write(.text(join))
                var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                var joined = false
                while let message = try await messages.next() {
                    guard case .text(let text) = message, let decoded = try? ServerMessage.decode(text) else { continue }
                    if case .roomJoined(let joinedRoom, _, _) = decoded, joinedRoom == room {
                        let now = clock.now
                        // Registered before the join is counted: the run closes every kept connection once the
                        // last join is counted.
                        if options.mode == .keep { kept.writers.withLock { $0.append(outbound) } }
                        once(.joined(url: url, connectToJoined: now - connectStart, joinToJoined: now - joinSent))
                        joined = true
                        break
                    }
                    if case .error(let error) = decoded {
                        once(.failed(error.code.rawValue))
                        return
                    }
                }
                guard joined, options.mode == .keep else { return }
                // Held open until the run closes it; room-mates' UserJoined/UserLeft are read and dropped.
                while try await messages.next() != nil {}
            }
        } catch {
            once(.failed("connect_failed"))
            return
        }
        once(.failed("closed"))
    }

    // MARK: - Reused connections

    private static func runReusedConnections(
        _ options: Options, logger: Logger, clock: ContinuousClock, record: @escaping @Sendable (Outcome) -> Void,
        completed: @escaping @Sendable () -> Int
    ) async throws {
        let next = Locked(0)
        @Sendable func take() -> Int? {
            next.withLock { value in
                guard value < options.clients else { return nil }
                defer { value += 1 }
                return value
            }
        }
        let workers = min(options.concurrency, options.clients)
        let workersDone = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    await joinRepeatedly(worker: worker, options: options, logger: logger, clock: clock,
                                         take: take, report: record)
                    workersDone.withLock { $0 += 1 }
                }
            }
            // Watchdog: the workers end by themselves (a worker whose connection failed leaves its share to the
            // others); this only stops a run that stopped making progress.
            group.addTask {
                var progress = completed()
                var lastProgress = clock.now
                while workersDone.withLock({ $0 }) < workers {
                    try await Task.sleep(for: .milliseconds(100))
                    let now = completed()
                    if now != progress {
                        progress = now
                        lastProgress = clock.now
                    } else if clock.now - lastProgress > options.stallTimeout {
                        throw SimulationError(
                            "no join completed for \(options.stallTimeout) (\(now) of \(options.clients) done)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// One connection, opened once: `Join`, `RoomJoined`, `Leave`, `RoomLeft`, until there are no joins left.
    private static func joinRepeatedly(
        worker: Int, options: Options, logger: Logger, clock: ContinuousClock, take: @escaping @Sendable () -> Int?,
        report: @escaping @Sendable (Outcome) -> Void
    ) async {
        let url = worker % options.urls.count
        let pending = Locked<Int?>(nil)
        let connected = Locked(false)
        do {
            try await WebSocketClient.connect(
                url: options.urls[url], configuration: clientConfiguration, logger: logger
            ) { inbound, outbound, _ in
                connected.withLock { $0 = true }
                var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                /// Reads until a message for `room` that `match` accepts, or an `Error`; nil when the connection ended.
                func reply(in room: String, _ match: (ServerMessage) -> Bool) async throws -> ServerMessage? {
                    while let message = try await messages.next() {
                        guard case .text(let text) = message, let decoded = try? ServerMessage.decode(text) else { continue }
                        if case .error = decoded { return decoded }
                        if decoded.room == room, match(decoded) { return decoded }
                    }
                    return nil
                }
                while let index = take() {
                    pending.withLock { $0 = index }
                    let room = "\(options.roomPrefix)-\(index / options.roomSize)"
                    let joinSent = clock.now
                    try await outbound.write(.text(
                        ClientMessage.join(room: room, username: "joiner-\(worker)", token: nil).encoded()))
                    let answer = try await reply(in: room) { if case .roomJoined = $0 { true } else { false } }
                    switch answer {
                    case .roomJoined?:
                        report(.joined(url: url, connectToJoined: nil, joinToJoined: clock.now - joinSent))
                    case .error(let error)?:
                        report(.failed(error.code.rawValue))
                        pending.withLock { $0 = nil }
                        continue
                    default:
                        return
                    }
                    pending.withLock { $0 = nil }
                    try await outbound.write(.text(ClientMessage.leave(room: room).encoded()))
                    guard try await reply(in: room, { if case .roomLeft = $0 { true } else { false } }) != nil else { return }
                }
            }
        } catch {
            if connected.withLock({ $0 }) {
                if pending.withLock({ $0 }) != nil { report(.failed("closed")) }
            } else {
                report(.failed("connect_failed"))
            }
            return
        }
        if pending.withLock({ $0 }) != nil { report(.failed("closed")) }
    }

    /// The connections that stay open until every client has joined.
    private final class KeptConnections: Sendable {
        let writers = Mutex<[WebSocketOutboundWriter]>([])
    }

    private static var clientConfiguration: WebSocketClientConfiguration {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 1 << 20
        configuration.autoPing = .disabled
        return configuration
    }

    private static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000,
                          numberOfSignificantValueDigits: .three)
    }

    private static func microseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(1, (duration.seconds * 1e6).rounded()))
    }
}

/// A value behind a lock that closures and child tasks can share (a `Mutex` itself cannot be captured by them).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try mutex.withLock(body)
    }
}
