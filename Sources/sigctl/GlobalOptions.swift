import ArgumentParser
import Foundation
import RedisClient
import SignalingServer

/// Options every operator command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("redis-url"), help: ArgumentHelp(
        "Redis URL of the cluster (env REDIS_URL, then .env; default redis://127.0.0.1:6379): redis://, rediss:// (TLS), "
            + "redis+sentinel://host1:26379,host2:26379/mastername, unix:///path.",
        valueName: "url"))
    var redisURL: String?

    @Option(help: ArgumentHelp("Output format: text or json (json: one document for listings, one object per line for streams).", valueName: "format"))
    var format: OutputFormat = .text

    @Flag(help: "Print only results: no progress or summary lines.")
    var quiet = false

    @Flag(name: .customLong("no-color"), help: "Never color the output (also when NO_COLOR is set or stdout is not a terminal).")
    var noColor = false

    static let defaultRedisURL = "redis://127.0.0.1:6379"

    /// Flag, then environment, then `.env` in the working directory, then the default.
    func resolvedRedisURL() -> String {
        if let redisURL { return redisURL }
        if let env = ProcessInfo.processInfo.environment["REDIS_URL"], !env.isEmpty { return env }
        if let text = try? String(contentsOfFile: ".env", encoding: .utf8),
           let fromFile = (try? DotEnv.parse(text))?["REDIS_URL"], !fromFile.isEmpty {
            return fromFile
        }
        return Self.defaultRedisURL
    }

    func redisConfiguration() throws -> RedisConfiguration {
        do {
            return try RedisConfiguration(url: resolvedRedisURL())
        } catch {
            throw CLIError(error.description, exitCode: 2)
        }
    }

    /// One connection for a one-shot command; an unreachable Redis is a one-line error (exit 2).
    func connect() async throws -> RedisConnection {
        var config = try redisConfiguration()
        // A one-shot command finds the master once; following a failover is for long-lived connections (`tail`).
        config.sentinel?.followSwitches = false
        do {
            return try await RedisConnection.connect(config)
        } catch {
            throw CLIError(Self.describe(error, config: config), exitCode: 2)
        }
    }

    /// Names the URL (password masked) the operator gave, not just the address.
    static func describe(_ error: RedisError, config: RedisConfiguration) -> String {
        switch error {
        case .connectionRefused(_, let reason): return "cannot connect to Redis at \(config.redactedURL): \(reason)"
        case .connectTimeout: return "cannot connect to Redis at \(config.redactedURL): no answer within the connect timeout"
        default: return "\(error) (\(config.redactedURL))"
        }
    }

    var printer: Printer { Printer(format: format, quiet: quiet, color: !noColor && Printer.terminalWantsColor) }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}
