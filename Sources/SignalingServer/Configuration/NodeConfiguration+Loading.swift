import Logging
import RedisClient
import SignalingProtocol

extension NodeConfiguration {
    /// Builds the configuration from its sources, highest precedence first: command-line flags, then the process
    /// environment, then the `.env` file, then defaults (PROTOCOL.md §4).
    ///
    /// An empty value counts as unset (so an empty `PORT=` in a compose file falls through to the next source),
    /// except for `JWT_SECRET`, where empty explicitly means "authentication off". Unknown keys are ignored: a
    /// `.env` file is often shared with other programs.
    ///
    /// - Parameters:
    ///   - flags: values given on the command line.
    ///   - environment: the process environment.
    ///   - dotEnv: the parsed `.env` file (see `DotEnv.parse`), or empty.
    ///   - hostName: for the default node id; tests pin it.
    public static func load(
        flags: [Setting: String] = [:],
        environment: [String: String] = [:],
        dotEnv: [String: String] = [:],
        hostName: String = NodeID.currentHostName()
    ) throws(ConfigurationError) -> NodeConfiguration {
        func value(_ setting: Setting) -> String? {
            let candidates = [flags[setting], environment[setting.environmentName], dotEnv[setting.environmentName]]
            for candidate in candidates {
                guard let candidate else { continue }
                if candidate.isEmpty && setting != .jwtSecret { continue }
                return candidate
            }
            return nil
        }

        var config = NodeConfiguration(nodeID: NodeID.generate(hostName: hostName))

        if let text = value(.port) {
            guard let port = ValueParsers.integer(text, in: 1...65_535) else {
                throw .invalid(.port, text, "expected an integer in 1...65535")
            }
            config.port = port
        }
        if let text = value(.bindAddress) {
            let address = text.trimmingASCIIWhitespace()
            guard !address.isEmpty, !address.contains(where: { $0 == " " || $0 == "/" }) else {
                throw .invalid(.bindAddress, text, "expected an IP address or host name")
            }
            config.bindAddress = address
        }
        if let text = value(.nodeID) {
            guard Validation.isValidIdentifier(text) else {
                throw .invalid(.nodeID, text, "expected 1-64 characters of A-Z a-z 0-9 _ . -")
            }
            config.nodeID = text
        }
        if let text = value(.clusterMode) {
            guard let flag = ValueParsers.boolean(text) else {
                throw .invalid(.clusterMode, text, "expected true, false, 1, 0, yes or no")
            }
            config.clusterMode = flag
        }
        if let text = value(.redisURL) {
            do {
                _ = try RedisConfiguration(url: text)
            } catch {
                throw .invalid(.redisURL, text, "expected redis://[[user]:password@]host[:port][/db], rediss://… or redis+sentinel://host1,host2/mastername (\(error))")
            }
            config.redisURL = text
        }
        if let text = value(.signalRouting) {
            guard let routing = SignalRouting(rawValue: text.trimmingASCIIWhitespace().lowercased()) else {
                throw .invalid(.signalRouting, text, "expected direct or broadcast")
            }
            config.signalRouting = routing
        }
        if let text = value(.heartbeatInterval) {
            config.heartbeatInterval = try positiveDuration(.heartbeatInterval, text)
        }
        if let text = value(.heartbeatTTL) {
            config.heartbeatTTL = try positiveDuration(.heartbeatTTL, text)
        }
        guard config.heartbeatTTL > config.heartbeatInterval else {
            throw ConfigurationError(
                "invalid \(Setting.heartbeatTTL) '\(config.heartbeatTTL.compactDescription)': must be longer than "
                    + "\(Setting.heartbeatInterval) (\(config.heartbeatInterval.compactDescription))")
        }
        if let text = value(.jwtSecret) {
            // RFC 7518 §3.2: an HS256 key is at least as long as the hash. The secret itself is never echoed.
            let bytes = text.utf8.count
            guard text.isEmpty || bytes >= TokenVerifier.minimumSecretBytes else {
                throw ConfigurationError(
                    "invalid \(Setting.jwtSecret): \(bytes) byte\(bytes == 1 ? "" : "s"); an HS256 secret must be at least "
                        + "\(TokenVerifier.minimumSecretBytes) bytes (RFC 7518 §3.2), or empty to turn authentication off")
            }
            config.jwtSecret = text.isEmpty ? nil : text
        }
        if let text = value(.maxConnections) {
            guard let limit = ValueParsers.integer(text, in: 1...10_000_000) else {
                throw .invalid(.maxConnections, text, "expected an integer in 1...10000000")
            }
            config.maxConnections = limit
        }
        if let text = value(.rateLimit) {
            guard let rate = ValueParsers.positiveNumber(text), rate <= 1_000_000 else {
                throw .invalid(.rateLimit, text, "expected messages per second, a positive number")
            }
            config.rateLimit = rate
        }
        if let text = value(.rateLimitBurst) {
            guard let burst = ValueParsers.integer(text, in: 1...1_000_000) else {
                throw .invalid(.rateLimitBurst, text, "expected an integer in 1...1000000")
            }
            config.rateLimitBurst = burst
        }
        if let text = value(.outboundQueueLimit) {
            guard let limit = ValueParsers.integer(text, in: 1...1_000_000) else {
                throw .invalid(.outboundQueueLimit, text, "expected an integer in 1...1000000")
            }
            config.outboundQueueLimit = limit
        }
        if let text = value(.outboundQueueBytes) {
            guard let bytes = ValueParsers.integer(text, in: 262_144...1_073_741_824) else {
                throw .invalid(.outboundQueueBytes, text, "expected bytes, an integer in 262144...1073741824")
            }
            config.outboundQueueBytes = bytes
        }
        if let text = value(.pingInterval) {
            // Only a written zero turns pings off; a period below 100 ms, or one so small that it rounds to zero,
            // is refused: it would drop clients for ordinary network jitter.
            let writtenZero = !text.contains { $0 >= "1" && $0 <= "9" }
            guard let interval = ValueParsers.duration(text),
                  writtenZero ? interval == .zero : interval >= .milliseconds(100) else {
                throw .invalid(.pingInterval, text, "expected a duration of at least 100ms such as 30 or 30s, or 0 to turn pings off")
            }
            config.pingInterval = interval == .zero ? nil : interval
        }
        if let text = value(.shutdownTimeout) {
            guard let timeout = ValueParsers.duration(text) else {
                throw .invalid(.shutdownTimeout, text, "expected a duration such as 5, 5s or 500ms")
            }
            config.shutdownTimeout = timeout
        }
        if let text = value(.eventLoopThreads) {
            guard let threads = ValueParsers.integer(text, in: 1...256) else {
                throw .invalid(.eventLoopThreads, text, "expected an integer in 1...256")
            }
            config.eventLoopThreads = threads
        }
        if let text = value(.logLevel) {
            var name = text.trimmingASCIIWhitespace().lowercased()
            if name == "warn" { name = "warning" }
            guard let level = Logger.Level(rawValue: name) else {
                throw .invalid(.logLevel, text, "expected trace, debug, info, notice, warning, error or critical")
            }
            config.logLevel = level
        }
        if let text = value(.logFormat) {
            guard let format = LogFormat(rawValue: text.trimmingASCIIWhitespace().lowercased()) else {
                throw .invalid(.logFormat, text, "expected text or json")
            }
            config.logFormat = format
        }
        if let text = value(.demo) {
            guard let flag = ValueParsers.boolean(text) else {
                throw .invalid(.demo, text, "expected true, false, 1, 0, yes or no")
            }
            config.demo = flag
        }
        return config
    }

    private static func positiveDuration(_ setting: Setting, _ text: String) throws(ConfigurationError) -> Duration {
        guard let duration = ValueParsers.duration(text), duration > .zero else {
            throw .invalid(setting, text, "expected a positive duration such as 10, 10s or 500ms")
        }
        return duration
    }
}
