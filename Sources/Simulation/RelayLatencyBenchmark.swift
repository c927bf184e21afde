import Foundation
import Histogram
import Logging
import SignalingProtocol
import Synchronization

/// Same-node (or cross-node) one-way relay latency: pairs of clients in their own rooms; A sends `Offer`s at a fixed
/// total rate, B answers each with an `Answer`. Each SDP carries its send time, so both directions are measured
/// one way, from the sender's write to the receiver's decode, on one clock (one process).
public enum RelayLatencyBenchmark {
    public struct Options: Sendable {
        public var offerURL: String
        /// Where the answering clients connect; the same node for same-node latency, another for cross-node.
        public var answerURL: String
        public var pairs = 100
        public var offersPerSecond = 2_000.0
        public var duration: Duration = .seconds(20)
        public var warmup: Duration = .seconds(3)
        public var sdpBytes = 1_500

        public init(offerURL: String, answerURL: String? = nil) {
            self.offerURL = offerURL
            self.answerURL = answerURL ?? offerURL
        }
    }

    public struct Report: Sendable, CustomStringConvertible, Encodable {
        public var offersSent: Int
        /// Offers sent including the warm-up: what the nodes' CPU time over the whole run is divided by.
        public var offersSentInAll: Int
        public var offersReceived: UInt64
        public var answersReceived: UInt64
        public var errors: Int
        public var achievedOffersPerSecond: Double
        /// One-way latencies in microseconds, offers and answers together.
        public var p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double

        /// Offers and answers measured (received during the measured period).
        public var messagesRelayed: UInt64 { offersReceived + answersReceived }

        private enum CodingKeys: String, CodingKey {
            case offersSent = "offers_sent", offersSentInAll = "offers_sent_with_warmup", offersReceived = "offers_received", answersReceived = "answers_received"
            case messagesRelayed = "messages_relayed", errors
            case achievedOffersPerSecond = "offers_per_second", latency = "one_way_latency_us"
        }

        private enum LatencyKeys: String, CodingKey {
            case p50, p90, p99, p999 = "p99_9", max, mean
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(offersSent, forKey: .offersSent)
            try container.encode(offersSentInAll, forKey: .offersSentInAll)
            try container.encode(offersReceived, forKey: .offersReceived)
            try container.encode(answersReceived, forKey: .answersReceived)
            try container.encode(messagesRelayed, forKey: .messagesRelayed)
            try container.encode(errors, forKey: .errors)
            try container.encode(achievedOffersPerSecond, forKey: .achievedOffersPerSecond)
            var latency = container.nestedContainer(keyedBy: LatencyKeys.self, forKey: .latency)
            try latency.encode(p50, forKey: .p50)
            try latency.encode(p90, forKey: .p90)
            try latency.encode(p99, forKey: .p99)
            try latency.encode(p999, forKey: .p999)
            try latency.encode(max, forKey: .max)
            try latency.encode(mean.isFinite ? mean : 0, forKey: .mean)
        }

        public var description: String {
            func f(_ v: Double) -> String { String(format: "%.1f", v) }
            return """
                relayed: \(offersReceived) offers + \(answersReceived) answers measured \
                (\(offersSent) offers sent at \(Int(achievedOffersPerSecond))/s, \(offersSentInAll) with the warm-up), \
                errors: \(errors)
                one-way relay latency µs: p50 \(f(p50))  p90 \(f(p90))  p99 \(f(p99))  p99.9 \(f(p999))  \
                max \(f(max))  mean \(f(mean))
                """
        }
    }

    private struct State {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                          numberOfSignificantValueDigits: .three)
        var recording = false
        var offers: UInt64 = 0
        var answers: UInt64 = 0
        var errors = 0
    }

    public static func run(_ options: Options, logger: Logger) async throws -> Report {
        let clock = ContinuousClock()
        let epoch = clock.now
        let state = Mutex(State())
        let padding = String(repeating: "a", count: max(0, options.sdpBytes - 60))
        @Sendable func stamp() -> Int64 {
            let elapsed = clock.now - epoch
            return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        }
        @Sendable func sdp() -> String { "v=0\r\no=- \(stamp()) 0 IN IP4 127.0.0.1\r\na=\(padding)\r\n" }
        @Sendable func record(_ sdp: String, answer: Bool) {
            let now = stamp()
            guard let sent = sdp.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap({ Int64($0) }) else { return }
            state.withLock { state in
                guard state.recording else { return }
                _ = state.histogram.record(UInt64(max(1, (now - sent) / 1_000)))
                if answer { state.answers += 1 } else { state.offers += 1 }
            }
        }

        let offerers = (0..<options.pairs).map { BenchmarkClient(index: $0) }
        let answerers = (0..<options.pairs).map { BenchmarkClient(index: options.pairs + $0) }
        let handler: BenchmarkClient.Handler = { message, client in
            switch message {
            case .offer(let room, let from, let sdpText):
                record(sdpText, answer: false)
                try? await client.send(.answer(room: room, sdp: sdp(), target: from))
            case .answer(_, _, let sdpText):
                record(sdpText, answer: true)
            case .error:
                state.withLock { $0.errors += 1 }
            default:
                break
            }
        }

        return try await withThrowingTaskGroup(of: Void.self) { group in
            for (offerer, answerer) in zip(offerers, answerers) {
                group.addTask { try await offerer.run(url: options.offerURL, logger: logger, handler: handler) }
                group.addTask { try await answerer.run(url: options.answerURL, logger: logger, handler: handler) }
            }
            try await waitUntil(timeout: .seconds(30)) { (offerers + answerers).allSatisfy(\.isConnected) }
            for (index, (offerer, answerer)) in zip(offerers, answerers).enumerated() {
                try await offerer.send(.join(room: "bench-\(index)", username: "offerer-\(index)", token: nil))
                try await waitUntil(timeout: .seconds(10)) { offerer.userID != nil }
                try await answerer.send(.join(room: "bench-\(index)", username: "answerer-\(index)", token: nil))
            }
            try await waitUntil(timeout: .seconds(30)) { answerers.allSatisfy { $0.userID != nil } }

            // Fixed-rate schedule: at each 1 ms tick, send what is due so far.
            let start = clock.now
            let end = start + options.warmup + options.duration
            var sent = 0
            var measuredFrom = 0
            var recording = false
            var next = 0
            while clock.now < end {
                let now = clock.now
                if !recording, now - start >= options.warmup {
                    recording = true
                    measuredFrom = sent
                    state.withLock { $0.recording = true }
                }
                let due = Int((now - start).seconds * options.offersPerSecond) - sent
                for _ in 0..<max(0, due) {
                    let pair = next % options.pairs
                    next += 1
                    guard let target = answerers[pair].userID else { continue }
                    try await offerers[pair].send(.offer(room: "bench-\(pair)", sdp: sdp(), target: target))
                    sent += 1
                }
                try await Task.sleep(until: now + .milliseconds(1), clock: clock)
            }
            state.withLock { $0.recording = false }
            try await Task.sleep(for: .milliseconds(500))
            for client in offerers + answerers { await client.close() }
            try await group.waitForAll()

            return state.withLock { state in
                let h = state.histogram
                return Report(
                    offersSent: sent - measuredFrom, offersSentInAll: sent, offersReceived: state.offers, answersReceived: state.answers,
                    errors: state.errors,
                    achievedOffersPerSecond: Double(sent - measuredFrom) / options.duration.seconds,
                    p50: Double(h.valueAtPercentile(50)), p90: Double(h.valueAtPercentile(90)),
                    p99: Double(h.valueAtPercentile(99)), p999: Double(h.valueAtPercentile(99.9)),
                    max: Double(h.max), mean: h.mean)
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Polls until `condition` holds.
func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        guard clock.now < deadline else { throw SimulationError("timed out after \(timeout)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
