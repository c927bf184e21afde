import ArgumentParser
import ClusterState
import SignalingProtocol

struct RoomsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rooms",
        abstract: "List the cluster's rooms, or inspect one.",
        subcommands: [List.self, Inspect.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every room: id, participants, nodes (SCAN, sorted by room id).")

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("match"), help: ArgumentHelp("Only rooms whose id matches this glob (e.g. 'team-*').", valueName: "pattern"))
        var pattern: String?

        func run() async throws {
            try await reportingErrors {
                let redis = try await global.connect()
                defer { redis.close() }
                let rooms = try await ClusterRegistry(redis: redis).rooms(matching: pattern)
                let printer = global.printer
                printer.result(rooms) { RoomsRendering.list($0, printer: printer) }
                printer.note(RoomsRendering.listSummary(rooms))
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one room's participants: username, node, node alive, connected_at; orphans flagged.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The room id.", valueName: "room-id"))
        var room: String

        func run() async throws {
            try await reportingErrors {
                guard Validation.isValidRoomName(room) else {
                    throw CLIError("invalid room id '\(room)': 1-64 characters of A-Z a-z 0-9 _ . -")
                }
                let redis = try await global.connect()
                defer { redis.close() }
                guard let detail = try await ClusterRegistry(redis: redis).room(room) else {
                    throw CLIError("no room '\(room)' in \(redis.configuration.redactedURL)")
                }
                let printer = global.printer
                printer.result(detail) { RoomsRendering.detail($0, printer: printer) }
            }
        }
    }
}
