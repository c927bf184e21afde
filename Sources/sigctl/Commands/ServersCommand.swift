import ArgumentParser
import ClusterState
import SignalingProtocol

struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers",
        abstract: "List the cluster's nodes, or inspect one.",
        subcommands: [List.self, Inspect.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every node: alive or dead, heartbeat age and TTL, connections, rooms.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let redis = try await global.connect()
                defer { redis.close() }
                let servers = try await ClusterRegistry(redis: redis).servers()
                let printer = global.printer
                printer.result(servers) { ServersRendering.list($0, printer: printer) }
                printer.note(ServersRendering.listSummary(servers))
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one node and its connections.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The node id.", valueName: "node-id"))
        var node: String

        func run() async throws {
            try await reportingErrors {
                guard Validation.isValidIdentifier(node) else {
                    throw CLIError("invalid node id '\(node)': 1-64 characters of A-Z a-z 0-9 _ . -")
                }
                let redis = try await global.connect()
                defer { redis.close() }
                guard let detail = try await ClusterRegistry(redis: redis).server(node) else {
                    throw CLIError("no node '\(node)' in \(redis.configuration.redactedURL) (no heartbeat, no connections)")
                }
                let printer = global.printer
                printer.result(detail) { ServersRendering.detail($0, printer: printer) }
            }
        }
    }
}
