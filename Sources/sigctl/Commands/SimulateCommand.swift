import ArgumentParser
import Foundation
import Logging
import SignalingServer
import Simulation

/// `sigctl simulate`: synthetic clients against running nodes; each subcommand maps its flags to a scenario of the
/// Simulation library and prints the scenario's report.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Drive synthetic clients against nodes and measure them.",
        discussion: """
            Each scenario connects to node WebSocket URLs (ws://HOST:PORT/ws); every URL is tried once before the \
            run, and one that cannot be reached is a one-line error. The report goes to stdout (--format json: one \
            object); progress notes go to stdout in text and to stderr with JSON. Exit status: 0 the run completed \
            without errors, 1 it completed but clients saw errors (counted in the report), 2 it could not run.
            """,
        subcommands: [Relay.self, Joins.self, Storm.self, Idle.self]
    )
}

extension SimulateCommand {
    /// Runs a joins scenario (`joins`, `storm`), prints its report, and exits 1 when any client failed to join.
    static func runJoins(_ options: JoinRateBenchmark.Options, printer: Printer) async throws {
        let report = try await JoinRateBenchmark.run(options, logger: SimulateArguments.logger)
        printer.result(report) { SimulateRendering.joins($0, printer: printer) }
        if report.errorCount > 0 || report.joined < report.clients { throw ExitCode(1) }
    }
}

/// Output options of the `simulate` scenarios (they take no Redis URL).
struct SimulateOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Output format: text or json (one JSON object).", valueName: "format"))
    var format: OutputFormat = .text

    @Flag(help: "Print only the report: no progress lines.")
    var quiet = false

    @Flag(name: .customLong("no-color"), help: "Never color the output (also when NO_COLOR is set or stdout is not a terminal).")
    var noColor = false

    var printer: Printer { Printer(format: format, quiet: quiet, color: !noColor && Printer.terminalWantsColor) }
}

extension SimulateCommand {
    struct Relay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One-way relay latency: client pairs exchange Offers and Answers at a fixed rate.",
            discussion: """
                Each pair joins a room of its own; the offerer (on --url) sends Offers at its share of --rate, the \
                answerer (on --answer-url, default --url: give another node's URL for cross-node latency) answers \
                each one. Latency is measured one way, from the sender's write to the receiver's read, on one clock. \
                Nodes rate-limit each connection (50 messages/s by default): keep --rate / --pairs below that.
                """
        )

        @OptionGroup var output: SimulateOutputOptions

        @Option(help: ArgumentHelp("WebSocket URL of the offerers' node.", valueName: "url"))
        var url: String

        @Option(name: .customLong("answer-url"), help: ArgumentHelp(
            "WebSocket URL of the answerers' node (default: --url).", valueName: "url"))
        var answerURL: String?

        @Option(help: ArgumentHelp("Offers per second, all pairs together (each is answered).", valueName: "per-second"))
        var rate = "2000"

        @Option(help: ArgumentHelp("How long to measure, after the warm-up (e.g. 20s, 500ms, 2m).", valueName: "duration"))
        var duration = "20s"

        @Option(help: ArgumentHelp("Traffic before measuring starts.", valueName: "duration"))
        var warmup = "3s"

        @Option(help: ArgumentHelp("Client pairs.", valueName: "n"))
        var pairs = "100"

        @Option(name: .customLong("sdp-bytes"), help: ArgumentHelp("Size of each SDP.", valueName: "bytes"))
        var sdpBytes = "1500"

        func run() async throws {
            EventLoopExecutor.install()
            try await reportingErrors {
                let printer = output.printer
                var options = RelayLatencyBenchmark.Options(offerURL: url, answerURL: answerURL)
                options.offersPerSecond = try SimulateArguments.rate(rate, flag: "--rate")
                options.duration = try SimulateArguments.duration(duration, flag: "--duration")
                options.warmup = try SimulateArguments.duration(warmup, flag: "--warmup", allowZero: true)
                options.pairs = try SimulateArguments.count(pairs, flag: "--pairs", range: 1...9_000)
                options.sdpBytes = try SimulateArguments.count(sdpBytes, flag: "--sdp-bytes", range: 60...60_000)
                try SimulateArguments.descriptors(needed: 2 * options.pairs + 50, what: "--pairs \(options.pairs)")
                try await SimulateArguments.probe(Set([options.offerURL, options.answerURL]).sorted())

                let perClient = options.offersPerSecond / Double(options.pairs)
                if perClient > 50 {
                    printer.note("note: each client sends \(Int(perClient.rounded())) messages/s; nodes rate-limit "
                                 + "connections to 50/s by default (raise --pairs)")
                }
                printer.note("relay: \(options.pairs) pairs, \(Int(options.offersPerSecond)) offers/s, "
                             + "\(SimulateArguments.format(options.warmup)) warm-up + "
                             + "\(SimulateArguments.format(options.duration)) measured")
                let report = try await RelayLatencyBenchmark.run(options, logger: SimulateArguments.logger)
                printer.result(SimulateRendering.RelayResult(options: options, report: report)) {
                    SimulateRendering.relay($0, printer: printer)
                }
                if report.errors > 0 { throw ExitCode(1) }
            }
        }
    }

    struct Joins: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Joins per second: concurrent clients join rooms, spread round-robin over the given nodes.",
            discussion: """
                --concurrency joins are in flight at any time until --clients joins completed; rooms are filled to \
                --room-size in join order, so with several --url values room-mates sit on different nodes. By \
                default each join is a new connection (TCP + WebSocket handshake + Join) kept open until all have \
                joined: the report gives connect→RoomJoined and Join→RoomJoined latency separately. \
                --close-after-join closes each connection after its RoomJoined (the node also handles the implicit \
                Leave). --reuse-connections opens --concurrency connections once and repeats Join, RoomJoined, \
                Leave, RoomLeft on each: the node's join path without connection set-up (two messages per join, so \
                mind the node's per-connection rate limit).
                """
        )

        @OptionGroup var output: SimulateOutputOptions

        @Option(name: .customLong("url"), help: ArgumentHelp(
            "WebSocket URL of a node (repeatable: clients are spread round-robin).", valueName: "url"))
        var urls: [String] = []

        @Option(help: ArgumentHelp("Joins to complete.", valueName: "n"))
        var clients = "1000"

        @Option(help: ArgumentHelp("Joins in flight at once.", valueName: "n"))
        var concurrency = "50"

        @Option(name: .customLong("room-size"), help: ArgumentHelp("Members per room.", valueName: "n"))
        var roomSize = "4"

        @Flag(name: .customLong("reuse-connections"), help: "Join, Leave and join again on a few open connections.")
        var reuseConnections = false

        @Flag(name: .customLong("close-after-join"), help: "Close each new connection after its RoomJoined.")
        var closeAfterJoin = false

        func run() async throws {
            EventLoopExecutor.install()
            try await reportingErrors {
                let printer = output.printer
                guard !urls.isEmpty else { throw CLIError("missing --url: give at least one node's ws://HOST:PORT/ws") }
                if reuseConnections && closeAfterJoin {
                    throw CLIError("--reuse-connections and --close-after-join exclude each other")
                }
                var options = JoinRateBenchmark.Options(urls: urls)
                options.clients = try SimulateArguments.count(clients, flag: "--clients", range: 1...10_000_000)
                options.concurrency = try SimulateArguments.count(concurrency, flag: "--concurrency", range: 1...10_000)
                options.roomSize = try SimulateArguments.count(roomSize, flag: "--room-size", range: 1...10_000)
                options.mode = reuseConnections ? .reuse : closeAfterJoin ? .close : .keep
                switch options.mode {
                case .keep:
                    try SimulateArguments.descriptors(
                        needed: options.clients + 50, what: "--clients \(options.clients)",
                        hint: "; connections are kept open: --close-after-join or --reuse-connections need fewer")
                case .close, .reuse:
                    try SimulateArguments.descriptors(
                        needed: options.concurrency + 50, what: "--concurrency \(options.concurrency)")
                }
                try await SimulateArguments.probe(Array(Set(urls)).sorted())

                printer.note("joins: \(options.clients) clients, \(options.concurrency) in flight, rooms of "
                             + "\(options.roomSize), \(urls.count) node\(urls.count == 1 ? "" : "s"); \(options.mode.summary)")
                try await SimulateCommand.runJoins(options, printer: printer)
            }
        }
    }

    struct Storm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reconnect storm: every client connects and joins at the same moment, as after a node dies.",
            discussion: """
                All --clients open a new connection (TCP + WebSocket handshake + Join) at once, spread round-robin \
                over the given nodes, rooms filled to --room-size; the connections stay open until all have joined. \
                The report gives the time from the first connect to the last RoomJoined and the failures: what the \
                surviving nodes of a cluster face when a node holding --clients users is killed. Needs a descriptor \
                per client (ulimit -n).
                """
        )

        @OptionGroup var output: SimulateOutputOptions

        @Option(name: .customLong("url"), help: ArgumentHelp(
            "WebSocket URL of a node (repeatable: clients are spread round-robin).", valueName: "url"))
        var urls: [String] = []

        @Option(help: ArgumentHelp("Clients that connect and join at once.", valueName: "n"))
        var clients = "10000"

        @Option(name: .customLong("room-size"), help: ArgumentHelp("Members per room.", valueName: "n"))
        var roomSize = "4"

        func run() async throws {
            EventLoopExecutor.install()
            try await reportingErrors {
                let printer = output.printer
                guard !urls.isEmpty else { throw CLIError("missing --url: give at least one node's ws://HOST:PORT/ws") }
                var options = JoinRateBenchmark.Options(urls: urls)
                options.clients = try SimulateArguments.count(clients, flag: "--clients", range: 1...100_000)
                options.concurrency = options.clients
                options.roomSize = try SimulateArguments.count(roomSize, flag: "--room-size", range: 1...10_000)
                options.mode = .keep
                try SimulateArguments.descriptors(needed: options.clients + 50, what: "--clients \(options.clients)")
                try await SimulateArguments.probe(Array(Set(urls)).sorted())

                printer.note("storm: \(options.clients) clients connect and join at once, rooms of \(options.roomSize), "
                             + "\(urls.count) node\(urls.count == 1 ? "" : "s")")
                try await SimulateCommand.runJoins(options, printer: printer)
            }
        }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Idle connections: open and join many, hold them, close them (for measuring node memory).",
            discussion: """
                Prints a line starting with "ready:" once every connection is open and joined, holds them for \
                --hold, then closes them and prints the report. Several processes can share a large count: give \
                each its own --first-index so that their rooms stay apart.
                """
        )

        @OptionGroup var output: SimulateOutputOptions

        @Option(help: ArgumentHelp("WebSocket URL of the node.", valueName: "url"))
        var url: String

        @Option(help: ArgumentHelp("Connections to open.", valueName: "n"))
        var connections = "1000"

        @Option(help: ArgumentHelp("How long to hold them once all are joined.", valueName: "duration"))
        var hold = "30s"

        @Option(name: .customLong("room-size"), help: ArgumentHelp(
            "Members per room (0: connect without joining).", valueName: "n"))
        var roomSize = "2"

        @Option(help: ArgumentHelp("Connections opened at once.", valueName: "n"))
        var concurrency = "200"

        @Option(name: .customLong("first-index"), help: ArgumentHelp(
            "Index of this process's first client, for room and user names.", valueName: "n"))
        var firstIndex = "0"

        func run() async throws {
            EventLoopExecutor.install()
            try await reportingErrors {
                let printer = output.printer
                var options = IdleConnectionsBenchmark.Options(url: url)
                options.connections = try SimulateArguments.count(connections, flag: "--connections", range: 1...1_000_000)
                options.hold = try SimulateArguments.duration(hold, flag: "--hold", allowZero: true)
                options.roomSize = try SimulateArguments.count(roomSize, flag: "--room-size", range: 0...10_000)
                options.concurrency = try SimulateArguments.count(concurrency, flag: "--concurrency", range: 1...10_000)
                options.firstIndex = try SimulateArguments.count(firstIndex, flag: "--first-index", range: 0...100_000_000)
                try SimulateArguments.descriptors(needed: options.connections + 50, what: "--connections \(options.connections)")
                try await SimulateArguments.probe([url])

                let holdText = SimulateArguments.format(options.hold)
                let report = try await IdleConnectionsBenchmark.run(options, logger: SimulateArguments.logger) { report in
                    printer.note("ready: \(report); holding for \(holdText)")
                }
                printer.result(report) { $0.description + ", held \(holdText), closed" }
            }
        }
    }
}

/// Parsing of the scenarios' flags: one-line errors naming the flag (exit 2), never a usage dump.
enum SimulateArguments {
    static let logger = Logger(label: "sigctl-simulate", factory: { _ in SwiftLogNoOpLogHandler() })

    static func count(_ text: String, flag: String, range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw CLIError("invalid \(flag) '\(text)': a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func rate(_ text: String, flag: String) throws -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0, value <= 10_000_000 else {
            throw CLIError("invalid \(flag) '\(text)': a positive number per second")
        }
        return value
    }

    /// Seconds as a number, or with a unit: `20`, `20s`, `1.5s`, `500ms`, `2m`.
    static func duration(_ text: String, flag: String, allowZero: Bool = false) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        var number = Substring(trimmed)
        var scale = 1.0
        for (suffix, factor) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, allowZero ? value >= 0 : value > 0, value * scale <= 86_400 else {
            throw CLIError("invalid \(flag) '\(text)': a duration such as 20s, 500ms or 2m\(allowZero ? "" : " (more than 0)")")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }

    /// Raises the soft descriptor limit towards the hard one when a run needs more than it allows.
    static func descriptors(needed: Int, what: String, hint: String = "") throws {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur >= rlim_t(needed) { return }
        if limit.rlim_max >= rlim_t(needed) || limit.rlim_max == rlim_t.max {
            limit.rlim_cur = rlim_t(needed)
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { return }
        }
        throw CLIError("\(what) needs about \(needed) file descriptors, but the limit is \(limit.rlim_max) (ulimit -Hn)\(hint)")
    }

    /// Every URL is reachable and speaks WebSocket, else one line naming the first that is not.
    static func probe(_ urls: [String]) async throws {
        for url in urls {
            do {
                try await SimulationTarget.probe(url, logger: logger)
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}
