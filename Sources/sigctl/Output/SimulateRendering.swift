import Foundation
import Simulation

/// Text and JSON shapes of the `simulate` reports.
enum SimulateRendering {
    /// The relay report with the run's settings, so that a saved JSON result says what was measured.
    struct RelayResult: Encodable {
        var options: RelayLatencyBenchmark.Options
        var report: RelayLatencyBenchmark.Report

        private enum CodingKeys: String, CodingKey {
            case offerURL = "offer_url", answerURL = "answer_url", pairs, rate = "target_offers_per_second"
            case seconds = "measured_seconds", warmup = "warmup_seconds", sdpBytes = "sdp_bytes"
        }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(options.offerURL, forKey: .offerURL)
            try container.encode(options.answerURL, forKey: .answerURL)
            try container.encode(options.pairs, forKey: .pairs)
            try container.encode(options.offersPerSecond, forKey: .rate)
            try container.encode(seconds(options.duration), forKey: .seconds)
            try container.encode(seconds(options.warmup), forKey: .warmup)
            try container.encode(options.sdpBytes, forKey: .sdpBytes)
        }

        private func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
    }

    static func relay(_ result: RelayResult, printer: Printer) -> String {
        let r = result.report
        let path = result.options.offerURL == result.options.answerURL
            ? "same node (\(result.options.offerURL))"
            : "\(result.options.offerURL) → \(result.options.answerURL)"
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        return """
            relay: \(path), \(result.options.pairs) pairs
            relayed: \(r.offersReceived) offers + \(r.answersReceived) answers measured \
            (\(r.offersSent) offers sent at \(Int(r.achievedOffersPerSecond))/s, \(r.offersSentInAll) with the warm-up), errors: \(errors(r.errors, printer))
            one-way latency µs: p50 \(f(r.p50))  p90 \(f(r.p90))  p99 \(f(r.p99))  p99.9 \(f(r.p999))  \
            max \(f(r.max))  mean \(f(r.mean.isFinite ? r.mean : 0))
            """
    }

    static func joins(_ r: JoinRateBenchmark.Report, printer: Printer) -> String {
        func ms(_ us: Double) -> String { String(format: "%.2f", us / 1000) }
        func latency(_ l: JoinRateBenchmark.Latency) -> String {
            "p50 \(ms(l.p50))  p90 \(ms(l.p90))  p99 \(ms(l.p99))  max \(ms(l.max))  mean \(ms(l.mean))"
        }
        var lines = [
            "joins: \(r.joined) of \(r.clients) joined in \(String(format: "%.2f", r.seconds)) s: "
                + printer.paint("\(Int(r.joinsPerSecond.rounded())) joins/s", .bold)
                + (r.nodes.count > 1
                    ? " (\(Int(r.joinsPerSecondPerNode.rounded()))/s per node, \(r.nodes.count) nodes)" : ""),
            "mode: \(r.modeSummary); \(r.concurrency) in flight, rooms of \(r.roomSize)",
        ]
        if r.nodes.count > 1 {
            lines.append("per node: " + r.nodes.map { "\($0.url) \($0.joined)" }.joined(separator: ", "))
        }
        if let connect = r.connectToJoinedUs {
            lines.append("latency ms, connect → RoomJoined: \(latency(connect))")
        }
        lines.append("latency ms, Join → RoomJoined:    \(latency(r.joinToJoinedUs))")
        let failed = r.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("errors: " + (failed.isEmpty ? "0" : printer.paint(failed, .red)))
        return lines.joined(separator: "\n")
    }

    private static func errors(_ count: Int, _ printer: Printer) -> String {
        count == 0 ? "0" : printer.paint("\(count)", .red)
    }
}
