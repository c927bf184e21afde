import ArgumentParser
import Foundation
import Logging
import SignalingServer

/// `sigctl serve`: runs a signaling node until SIGTERM or SIGINT.
///
/// Every option is a string handed to `NodeConfiguration.load`, so a bad value gets the same one-line error
/// whether it came from a flag, the environment or `.env`, and the precedence rule lives in one place.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a signaling node (WebSocket on /ws, /health, /metrics, the demo call page on /).",
        discussion: """
            Each setting is read from its flag, else its environment variable, else a .env file in the working \
            directory, else its default. In .env, values may be quoted ('…' literally, "…" with \\n \\" \\\\), \
            `export` prefixes are understood, and ` #` starts a comment outside quotes. An invalid value stops the \
            node with one line naming the setting. SIGTERM or SIGINT shut down gracefully: clients see UserLeft \
            for their room-mates and close 1001, and the process exits 0.
            """
    )

    @Option(name: .customLong(Setting.port.flag), help: help(.port, "port"))
    var port: String?

    @Option(name: .customLong(Setting.bindAddress.flag), help: help(.bindAddress, "address"))
    var bind: String?

    @Option(name: .customLong(Setting.nodeID.flag), help: help(.nodeID, "id"))
    var nodeID: String?

    @Flag(name: .customLong(Setting.clusterMode.flag), inversion: .prefixedNo, help: help(.clusterMode))
    var clusterMode: Bool?

    @Option(name: .customLong(Setting.redisURL.flag), help: help(.redisURL, "url"))
    var redisURL: String?

    @Option(name: .customLong(Setting.signalRouting.flag), help: help(.signalRouting, "routing"))
    var signalRouting: String?

    @Option(name: .customLong(Setting.heartbeatInterval.flag), help: help(.heartbeatInterval, "duration"))
    var heartbeatInterval: String?

    @Option(name: .customLong(Setting.heartbeatTTL.flag), help: help(.heartbeatTTL, "duration"))
    var heartbeatTTL: String?

    @Option(name: .customLong(Setting.jwtSecret.flag), help: help(.jwtSecret, "secret", note: "prefer the environment: flags show in ps"))
    var jwtSecret: String?

    @Option(name: .customLong(Setting.maxConnections.flag), help: help(.maxConnections, "n"))
    var maxConnections: String?

    @Option(name: .customLong(Setting.rateLimit.flag), help: help(.rateLimit, "per-second"))
    var rateLimit: String?

    @Option(name: .customLong(Setting.rateLimitBurst.flag), help: help(.rateLimitBurst, "n"))
    var rateLimitBurst: String?

    @Option(name: .customLong(Setting.outboundQueueLimit.flag), help: help(.outboundQueueLimit, "n"))
    var outboundQueueLimit: String?

    @Option(name: .customLong(Setting.outboundQueueBytes.flag), help: help(.outboundQueueBytes, "bytes"))
    var outboundQueueBytes: String?

    @Option(name: .customLong(Setting.pingInterval.flag), help: help(.pingInterval, "duration"))
    var pingInterval: String?

    @Option(name: .customLong(Setting.shutdownTimeout.flag), help: help(.shutdownTimeout, "duration"))
    var shutdownTimeout: String?

    @Option(name: .customLong(Setting.logLevel.flag), help: help(.logLevel, "level"))
    var logLevel: String?

    @Option(name: .customLong(Setting.eventLoopThreads.flag), help: help(.eventLoopThreads, "count"))
    var eventLoopThreads: String?

    @Option(name: .customLong(Setting.logFormat.flag), help: help(.logFormat, "format"))
    var logFormat: String?

    @Flag(name: .customLong(Setting.demo.flag), inversion: .prefixedNo, help: help(.demo))
    var demo: Bool?

    @Option(name: .customLong("env-file"), help: ArgumentHelp(
        "The .env file to read (default: .env in the working directory, if present).", valueName: "path"))
    var envFile: String?

    /// The flags that were given, by setting.
    var flags: [Setting: String] {
        var flags: [Setting: String] = [:]
        flags[.port] = port
        flags[.bindAddress] = bind
        flags[.nodeID] = nodeID
        flags[.clusterMode] = clusterMode.map { $0 ? "true" : "false" }
        flags[.redisURL] = redisURL
        flags[.signalRouting] = signalRouting
        flags[.heartbeatInterval] = heartbeatInterval
        flags[.heartbeatTTL] = heartbeatTTL
        flags[.jwtSecret] = jwtSecret
        flags[.maxConnections] = maxConnections
        flags[.rateLimit] = rateLimit
        flags[.rateLimitBurst] = rateLimitBurst
        flags[.outboundQueueLimit] = outboundQueueLimit
        flags[.outboundQueueBytes] = outboundQueueBytes
        flags[.pingInterval] = pingInterval
        flags[.shutdownTimeout] = shutdownTimeout
        flags[.logLevel] = logLevel
        flags[.logFormat] = logFormat
        flags[.eventLoopThreads] = eventLoopThreads
        flags[.demo] = demo.map { $0 ? "true" : "false" }
        return flags
    }

    func run() async throws {
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(
                flags: flags, environment: ProcessInfo.processInfo.environment, dotEnv: try readDotEnv())
        } catch {
            FileHandle.standardError.write(Data("sigctl serve: \(error.description)\n".utf8))
            throw ExitCode(2)
        }

        // Before the node starts any concurrency work: one thread pool for sockets and tasks (see EventLoopExecutor).
        EventLoopExecutor.install(threads: configuration.eventLoopThreads)
        NodeLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let server = await buildApplication(
            configuration, logger: Logger(label: "sigctl"), signals: [.sigterm, .sigint])
        do {
            try await server.run()
        } catch {
            server.node.logger.critical("node stopped", metadata: ["error": .string("\(error)")])
            throw ExitCode(1)
        }
    }

    /// The `.env` file's values: the one named by `--env-file` (which must exist), else `./.env` if present.
    private func readDotEnv() throws(ConfigurationError) -> [String: String] {
        let path = envFile ?? ".env"
        guard FileManager.default.fileExists(atPath: path) else {
            if envFile != nil { throw ConfigurationError("cannot read --env-file \(path): no such file") }
            return [:]
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read \(path)")
        }
        return try DotEnv.parse(String(decoding: data, as: UTF8.self))
    }

    private static func help(_ setting: Setting, _ valueName: String? = nil, note: String? = nil) -> ArgumentHelp {
        ArgumentHelp(note.map { "\(setting.help); \($0)" } ?? setting.help, valueName: valueName)
    }
}
