import ArgumentParser

/// The `sigctl` executable: argument parsing only; each subcommand lives in its own file over the libraries.
@main
struct Sigctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigctl",
        abstract: "WebRTC signaling: run a node, and inspect and operate a cluster.",
        discussion: """
            Without a subcommand, sigctl opens an interactive shell on the cluster's Redis. Operator commands read \
            the Redis URL from --redis-url, then REDIS_URL, then .env in the working directory, then \
            redis://127.0.0.1:6379. Exit status: 0 success, 1 when a command found something it reports \
            (sweep --dry-run found dead nodes), 2 and up for errors.
            """,
        subcommands: [ServeCommand.self, RoomsCommand.self, ServersCommand.self, SweepCommand.self, TailCommand.self, SimulateCommand.self, ShellCommand.self],
        defaultSubcommand: ShellCommand.self
    )
}
