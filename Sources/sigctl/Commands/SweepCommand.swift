import ArgumentParser
import ClusterState
import Foundation
import RedisClient
import SignalingProtocol

struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Remove dead nodes' users from their rooms (race-safe with the nodes' own sweeps).",
        discussion: """
            A node is dead when its connections hash exists and its heartbeat does not. Sweeping removes each of its \
            users from their room where the room still names that node, deletes its connections hash, and publishes \
            one UserLeft per removed user and one ServerSwept. --explain prints the Redis commands a sweep runs; with \
            --dry-run, the commands it would run on each dead node found now, with that node's keys, users and \
            payloads. Exit status: 0 done (or nothing to do), 1 with --dry-run when dead nodes were found, 2 on \
            errors or refusal.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "Only report what a sweep would remove; change nothing.")
    var dryRun = false

    @Flag(help: "Do not ask for confirmation (required when stdin is not a terminal).")
    var yes = false

    @Option(name: .customLong("node"), help: ArgumentHelp("Sweep only this node.", valueName: "node-id"))
    var node: String?

    @Flag(help: "With --node: sweep it even though its heartbeat is live (deletes the heartbeat first).")
    var force = false

    @Flag(help: "Print the Redis commands a sweep runs, and run nothing; with --dry-run, those it would run on each dead node found.")
    var explain = false

    func validate() throws {
        if force && node == nil { throw ValidationError("--force only applies with --node") }
        if let node, !Validation.isValidIdentifier(node) {
            throw ValidationError("invalid node id '\(node)': 1-64 characters of A-Z a-z 0-9 _ . -")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let printer = global.printer
            if explain && !dryRun {
                let steps = ClusterRegistry.sweepPlan(only: node, by: "sigctl")
                printer.result(steps) { steps in
                    steps.enumerated().map { "\($0.offset + 1). \($0.element.command)\n   \(printer.paint($0.element.purpose, .dim))" }
                        .joined(separator: "\n")
                }
                return
            }
            let redis = try await global.connect()
            defer { redis.close() }
            let registry = ClusterRegistry(redis: redis)

            if let node {
                guard let server = try await registry.server(node) else {
                    throw CLIError("no node '\(node)' in \(redis.configuration.redactedURL)")
                }
                if server.server.alive && !force {
                    throw CLIError("node '\(node)' has a live heartbeat (expires in \(server.server.heartbeatTTL ?? 0)s); "
                                   + "it is not dead. Use --force to sweep it anyway")
                }
            }

            let preview = try await registry.sweep(dryRun: true, only: node, by: "sigctl")
            let targets = preview.nodes.filter { $0.outcome == .wouldSweep }
            let forcing = force && node != nil && preview.nodes.contains { $0.outcome == .alive }
            if dryRun && explain {
                let explanation = ClusterRegistry.explain(preview, now: Int64(Date().timeIntervalSince1970))
                printer.result(explanation) { SweepRendering.explanation($0, printer: printer) }
            } else if dryRun || (targets.isEmpty && !forcing) {
                printer.result(preview) { SweepRendering.report($0, printer: printer) }
            }
            if dryRun || (targets.isEmpty && !forcing) {
                if dryRun && !targets.isEmpty { throw ExitCode(1) }
                return
            }

            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw CLIError("refusing to sweep without --yes when stdin is not a terminal (try --dry-run first)")
                }
                let what = forcing ? "the live node \(node!)" : "\(targets.count) dead node\(targets.count == 1 ? "" : "s") "
                    + "(\(preview.usersRemoved) user\(preview.usersRemoved == 1 ? "" : "s"))"
                FileHandle.standardError.write(Data("Sweep \(what)? [y/N] ".utf8))
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
                guard answer == "y" || answer == "yes" else {
                    printer.note("nothing changed")
                    return
                }
            }
            if forcing, let node {
                try await registry.removeHeartbeat(node: node)
            }
            let report = try await registry.sweep(only: node, by: "sigctl")
            printer.result(report) { SweepRendering.report($0, printer: printer) }
        }
    }
}
