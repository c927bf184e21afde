import ArgumentParser
import ClusterState
import Foundation
import RedisClient

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show live cluster traffic (PSUBSCRIBE cluster:*), one line per message.",
        discussion: """
            Each line: time, channel, kind, room, from → to, payload size. With --format json, each message is one \
            JSON object per line: the raw payload's members plus "channel" and "time". Keeps going across Redis \
            restarts and Sentinel failovers (and says so, naming the new master). Ctrl-C stops it.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only messages about this room.", valueName: "room-id"))
    var room: String?

    @Option(help: ArgumentHelp("Only messages from, to or about this user id.", valueName: "user-id"))
    var user: UInt64?

    @Option(help: ArgumentHelp("Only messages from, to or about this node.", valueName: "node-id"))
    var node: String?

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "Only this kind: UserJoined, UserLeft, WebRTCSignal, UserReplaced, ServerStarted, ServerStopping, ServerSwept "
            + "(case-insensitive; repeatable).", valueName: "kind"))
    var types: [String] = []

    @Option(help: ArgumentHelp("Exit after this many (matching) messages.", valueName: "n"))
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        let known = Set(TrafficLine.kinds.map { $0.lowercased() })
        for t in types where !known.contains(t.lowercased()) {
            throw ValidationError("unknown --type '\(t)' (one of \(TrafficLine.kinds.joined(separator: ", ")))")
        }
    }

    func run() async throws {
        try await reportingErrors {
            // An unreachable Redis is an error at start; later outages are waited out.
            let probe = try await global.connect()
            probe.close()
            let printer = global.printer
            let filter = TrafficFilter(room: room, user: user, node: node, kinds: Set(types.map { $0.lowercased() }))
            let subscriber = RedisSubscriber(configuration: try global.redisConfiguration(),
                                             policy: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(2)))
            try await subscriber.psubscribe([ClusterChannels.allPattern])
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await subscriber.run() }
                var seen = 0
                var switchesSeen = 0
                for await event in subscriber.events {
                    switch event {
                    case .subscribed(let reconnect):
                        let server = subscriber.server
                        let sentinel = subscriber.configuration.sentinel != nil
                        if reconnect, server.lastSwitch != nil, server.switches > switchesSeen {
                            switchesSeen = server.switches
                            printer.note("Redis master switched: now \(server.address ?? "?"); re-subscribed to "
                                + "\(ClusterChannels.allPattern); messages published during the failover were missed")
                        } else if reconnect {
                            printer.note("re-subscribed to \(ClusterChannels.allPattern); messages published meanwhile were missed")
                        } else {
                            printer.note("listening on \(ClusterChannels.allPattern) at \(subscriber.configuration.redactedURL)"
                                + (sentinel ? " (master \(server.address ?? "?"))" : ""))
                        }
                    case .disconnected(let error):
                        printer.note("\(error); reconnecting…")
                    case .message(let message):
                        let line = TrafficLine(message, at: Date())
                        guard filter.matches(line) else { continue }
                        printer.streamLine(json: line.json(), text: line.text(printer: printer))
                        seen += 1
                        if let count, seen >= count {
                            group.cancelAll()
                            return
                        }
                    }
                }
                try Task.checkCancellation()
            }
        }
    }
}
