import Logging
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// One connection to Redis. Commands may be sent from any task; many can be in flight at once.
///
/// It does not reconnect: `RedisClient` and `RedisSubscriber` build reconnection on top of it.
public final class RedisConnection: Sendable, RedisCommandExecutor {
    let channel: Channel
    /// The configuration it was opened with (for a Sentinel URL: the Sentinel URL, whatever master it reached).
    public let configuration: RedisConfiguration
    /// The server this connection talks to: `host:port` (for a Sentinel URL, the master it found) or a socket path.
    public let serverAddress: String
    /// What a handshake sends: the configuration's credentials and database, or a Sentinel's.
    private let credentials: (username: String?, password: String?, database: Int)

    private init(channel: Channel, configuration: RedisConfiguration, serverAddress: String,
                 credentials: (username: String?, password: String?, database: Int)) {
        self.channel = channel
        self.configuration = configuration
        self.serverAddress = serverAddress
        self.credentials = credentials
    }

    /// Connects and authenticates, all within `configuration.connectTimeout`. With a Sentinel URL the master is
    /// found first (`SentinelDiscovery`), every time: a reconnect after a failover reaches the new master.
    public static func connect(
        _ configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "sigctl.redis"),
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        if let sentinel = configuration.sentinel {
            return try await SentinelDiscovery.connectToMaster(
                configuration, sentinel: sentinel, eventLoopGroup: eventLoopGroup, logger: logger, onPush: onPush)
        }
        return try await open(configuration, at: configuration.address, eventLoopGroup: eventLoopGroup, onPush: onPush)
    }

    /// Opens one connection to `address` and runs the handshake; `credentials` default to the configuration's.
    static func open(
        _ configuration: RedisConfiguration,
        at address: RedisConfiguration.Address,
        credentials: (username: String?, password: String?, database: Int)? = nil,
        dropOnFailoverReplies: Bool = false,
        eventLoopGroup: any EventLoopGroup,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        let timeout = configuration.connectTimeout
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let commandTimeout = configuration.commandTimeout.map { TimeAmount.nanoseconds(Int64($0.nanoseconds)) }
        let tls: (context: NIOSSLContext, options: RedisTLSOptions)?
        if let options = configuration.tls, case .tcp = address {
            tls = (try RedisTLSContext.makeContext(options), options)
        } else {
            tls = nil
        }
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.nanoseconds(Int64(timeout.nanoseconds)))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls, case .tcp(let host, _) = address {
                        try channel.pipeline.syncOperations.addHandler(
                            RedisTLSContext.makeHandler(context: tls.context, options: tls.options, host: host))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        RedisChannelHandler(commandTimeout: commandTimeout, dropOnFailoverReplies: dropOnFailoverReplies,
                                            onPush: onPush))
                }
            }

        let addressText: String
        switch address {
        case .tcp(let host, let port): addressText = RedisServerAddress(host: host, port: port).description
        case .unix(let path): addressText = path
        }
        let started = ContinuousClock.now
        let channel: Channel
        do {
            switch address {
            case .tcp(let host, let port):
                channel = try await bootstrap
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connect(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch ChannelError.connectTimeout {
            throw .connectTimeout(address: addressText, seconds: seconds)
        } catch {
            throw .connectionRefused(address: addressText, reason: describeConnectError(error))
        }
        let connection = RedisConnection(
            channel: channel, configuration: configuration, serverAddress: addressText,
            credentials: credentials ?? (configuration.username, configuration.password, configuration.database))
        // The TCP connect has its own timeout; this one bounds TLS and AUTH/SELECT/PING on a server that accepts and
        // then never answers.
        let remaining = timeout - (ContinuousClock.now - started)
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(max(Int64(remaining.nanoseconds), 0))) {
            channel.close(promise: nil)
        }
        do {
            try await connection.handshake()
            deadline.cancel()
            return connection
        } catch {
            deadline.cancel()
            connection.close()
            if error == .connectionLost, ContinuousClock.now - started >= timeout {
                throw .connectTimeout(address: addressText, seconds: seconds)
            }
            throw error
        }
    }

    private func handshake() async throws(RedisError) {
        if let password = credentials.password {
            var args: [any RedisArgument] = []
            if let user = credentials.username { args.append(user) }
            args.append(password)
            let reply = try await sendRaw(RedisCommand("AUTH", arguments: args))
            if let message = reply.errorMessage { throw .authenticationFailed(Self.authMessage(message)) }
        }
        if credentials.database != 0 {
            let reply = try await sendRaw(RedisCommand("SELECT", credentials.database))
            if let message = reply.errorMessage { throw .server(message) }
        }
        // A server that requires a password answers NOAUTH here; say so plainly.
        let ping = try await sendRaw(RedisCommand("PING"))
        if let message = ping.errorMessage {
            if message.hasPrefix("NOAUTH") { throw .authenticationFailed("the server requires a password") }
            throw .server(message)
        }
    }

    private static func authMessage(_ message: String) -> String {
        if message.hasPrefix("WRONGPASS") { return "wrong password (or user)" }
        if message.contains("without any password configured") || message.contains("no password is set") {
            return "the server has no password set"
        }
        return message
    }

    /// Sends one command; an error reply comes back as `.error`, not thrown.
    public func sendRaw(_ command: RedisCommand) async throws(RedisError) -> RESPValue {
        try await Self.await(sendRawFuture(command))
    }

    /// Sends one command now and returns its reply as a future (an error reply as `.error`): for callers on an event
    /// loop that must not wait, and whose commands must reach Redis in the order they were issued.
    public func sendRawFuture(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        var buffer = channel.allocator.buffer(capacity: command.encoded.count)
        buffer.writeBytes(command.encoded)
        send(RedisOutbound(bytes: buffer, waiter: .one(promise)))
        return promise.futureResult
    }

    /// `run(_:keys:arguments:)` as a future: EVALSHA, then EVAL when Redis does not know the script. An error reply
    /// fails the future with `RedisError.server`.
    public func runFuture(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = [])
        -> EventLoopFuture<RESPValue>
    {
        let args = script.evalshaArguments(keys: keys, arguments: arguments)
        let checked: @Sendable (RESPValue) throws -> RESPValue = { reply in
            if let message = reply.errorMessage { throw RedisError.server(message) }
            return reply
        }
        return sendRawFuture(RedisCommand("EVALSHA", arguments: args)).flatMap { reply in
            guard RedisScript.isUnknown(reply) else { return self.channel.eventLoop.makeCompletedFuture { try checked(reply) } }
            var eval = args
            eval[0] = script.source
            return self.sendRawFuture(RedisCommand("EVAL", arguments: eval)).flatMapThrowing(checked)
        }
    }

    /// Sends the commands in one write; replies come back in order, error replies as `.error` values.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        var buffer = channel.allocator.buffer(capacity: commands.reduce(0) { $0 + $1.encoded.count })
        for command in commands { buffer.writeBytes(command.encoded) }
        return try await write(buffer, replies: commands.count)
    }

    /// Writes a command that Redis answers several times (SUBSCRIBE with N channels answers N times).
    func sendExpecting(_ command: RedisCommand, replies: Int) async throws(RedisError) -> [RESPValue] {
        var buffer = channel.allocator.buffer(capacity: command.encoded.count)
        buffer.writeBytes(command.encoded)
        return try await write(buffer, replies: replies)
    }

    private func write(_ buffer: ByteBuffer, replies: Int) async throws(RedisError) -> [RESPValue] {
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        send(RedisOutbound(bytes: buffer, waiter: .many(promise, count: replies)))
        do {
            return try await promise.futureResult.get()
        } catch let error as RedisError {
            throw error
        } catch {
            throw .connectionLost
        }
    }

    /// Writes, making sure the waiter hears of a failed write: on a channel that has already closed, the
    /// handler that would fail it is gone, and the reply would never come. No flush here: the handler flushes
    /// once per event-loop tick, so commands issued together go out in one write (auto-pipelining).
    private func send(_ outbound: RedisOutbound) {
        let written = channel.eventLoop.makePromise(of: Void.self)
        let waiter = outbound.waiter
        written.futureResult.whenFailure { _ in waiter.fail(.connectionLost) }  // a second completion is ignored
        channel.write(outbound, promise: written)
    }

    public var isActive: Bool { channel.isActive }

    /// Completes when the connection closes, for whatever reason.
    public func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }

    public func close() {
        channel.close(promise: nil)
    }

    private static func await(_ future: EventLoopFuture<RESPValue>) async throws(RedisError) -> RESPValue {
        do {
            return try await future.get()
        } catch let error as RedisError {
            throw error
        } catch {
            throw .connectionLost
        }
    }
}

/// Turns NIO's connect errors into the short reason an operator expects.
private func describeConnectError(_ error: any Error) -> String {
    if let error = error as? NIOConnectionError {
        if let first = error.connectionErrors.first { return describeConnectError(first.error) }
        if error.dnsAError != nil || error.dnsAAAAError != nil { return "host not found (\(error.host))" }
        return "no address for host \(error.host)"
    }
    if let error = error as? IOError {
        switch error.errnoCode {
        case ECONNREFUSED: return "connection refused"
        case ENOENT: return "no such socket file"
        case EACCES: return "permission denied"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        default: return String(cString: strerror(error.errnoCode))
        }
    }
    if let error = error as? SocketAddressError {
        return "\(error)"
    }
    return "\(error)"
}
