/// Anything that runs commands: one connection, or the reconnecting client.
/// Scripts, SCAN and the typed helpers are written once against this.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command; an error reply comes back as `.error`.
    func sendRaw(_ command: RedisCommand) async throws(RedisError) -> RESPValue
    /// Sends the commands in one write and returns every reply in order, error replies as values.
    func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue]
}

extension RedisCommandExecutor {
    /// Sends one command; an error reply is thrown as `RedisError.server`.
    @discardableResult
    public func send(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        let reply = try await sendRaw(command)
        if let message = reply.errorMessage { throw .server(message) }
        return reply
    }

    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgument...) async throws(RedisError) -> RESPValue {
        try await send(RedisCommand(name, arguments: arguments))
    }

    /// Like `pipeline`, but the first error reply is thrown.
    public func pipelineChecked(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
        let replies = try await pipeline(commands)
        for reply in replies { if let message = reply.errorMessage { throw .server(message) } }
        return replies
    }

    /// Runs a script by SHA, loading it with EVAL when Redis does not know it (first use, or Redis restarted).
    public func run(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = []) async throws(RedisError) -> RESPValue {
        var args = script.evalshaArguments(keys: keys, arguments: arguments)
        let reply = try await sendRaw(RedisCommand("EVALSHA", arguments: args))
        if RedisScript.isUnknown(reply) {
            args[0] = script.source
            return try await send(RedisCommand("EVAL", arguments: args))
        }
        if let message = reply.errorMessage { throw .server(message) }
        return reply
    }

    /// Every key matching the pattern, enumerated with SCAN (never KEYS), in batches of about `count`.
    public func scan(match pattern: String, count: Int = 1000) -> RedisScanSequence {
        RedisScanSequence(executor: self, command: "SCAN", key: nil, pattern: pattern, count: count)
    }

    /// Every field/value pair of a hash, enumerated with HSCAN.
    public func hscan(_ key: String, match pattern: String? = nil, count: Int = 1000) -> RedisScanSequence {
        RedisScanSequence(executor: self, command: "HSCAN", key: key, pattern: pattern, count: count)
    }
}
