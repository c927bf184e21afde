// Signaling node benchmarks with synthetic clients, positional-argument form. The scenarios live in Simulation;
// `sigctl simulate relay|joins|idle` is their command-line front end, which the scripts/bench-*.sh use.
//
// usage: signaling-bench relay URL [offers-per-second] [seconds] [pairs] [answer-URL]
//        signaling-bench idle URL [connections] [hold-seconds] [first-index] [room-size]
import Foundation
import Logging
import NIOCore
import NIOPosix
import Simulation

@main
enum SignalingBenchmark {
    static func main() async throws {
        // The same single pool as the node (`sigctl serve`), so client overhead does not dominate the numbers.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let args = CommandLine.arguments
        let logger = Logger(label: "signaling-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        switch (args.count > 1 ? args[1] : "", args.count) {
        case ("relay", 3...):
            var options = RelayLatencyBenchmark.Options(offerURL: args[2], answerURL: args.count > 6 ? args[6] : nil)
            if args.count > 3, let rate = Double(args[3]) { options.offersPerSecond = rate }
            if args.count > 4, let seconds = Int(args[4]) { options.duration = .seconds(seconds) }
            if args.count > 5, let pairs = Int(args[5]) { options.pairs = pairs }
            print(try await RelayLatencyBenchmark.run(options, logger: logger))
        case ("idle", 3...):
            var options = IdleConnectionsBenchmark.Options(url: args[2])
            if args.count > 3, let count = Int(args[3]) { options.connections = count }
            if args.count > 4, let hold = Int(args[4]) { options.hold = .seconds(hold) }
            if args.count > 5, let first = Int(args[5]) { options.firstIndex = first }
            if args.count > 6, let size = Int(args[6]) { options.roomSize = size }
            _ = try await IdleConnectionsBenchmark.run(options, logger: logger) { report in
                FileHandle.standardOutput.write(Data("ready: \(report)\n".utf8))
            }
        default:
            usage()
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("""
            usage: signaling-bench relay URL [offers-per-second] [seconds] [pairs] [answer-URL]
                   signaling-bench idle URL [connections] [hold-seconds] [first-index] [room-size]

            """.utf8))
        exit(2)
    }
}
