import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Follows failovers for the master connections of one Sentinel URL, process-wide: subscribed to `+switch-master` on
/// one Sentinel (the fast path), and asking it for the master every `recheckInterval` (the backstop, which also
/// covers an announcement missed while no Sentinel was reachable). A connection to any other address than the
/// master's is closed: its owner reconnects, and the reconnect finds the new master. Runs while it watches a
/// connection; when the last one closes, its task ends.
final class SentinelMonitor: Sendable {
    private static let monitors = NIOLockedValueBox<[SentinelDirectory.Key: SentinelMonitor]>([:])

    static func shared(
        for configuration: RedisConfiguration, sentinel: RedisSentinelOptions, eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) -> SentinelMonitor {
        monitors.withLockedValue { monitors in
            let key = SentinelDirectory.Key(sentinel)
            if let monitor = monitors[key] { return monitor }
            let monitor = SentinelMonitor(configuration: configuration, sentinel: sentinel, eventLoopGroup: eventLoopGroup,
                                          logger: logger)
            monitors[key] = monitor
            return monitor
        }
    }

    private let configuration: RedisConfiguration
    private let sentinel: RedisSentinelOptions
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let box = NIOLockedValueBox(Inner())

    private struct Inner {
        var watched: [ObjectIdentifier: RedisConnection] = [:]
        var task: Task<Void, Never>?
    }

    private init(configuration: RedisConfiguration, sentinel: RedisSentinelOptions, eventLoopGroup: any EventLoopGroup,
                 logger: Logger) {
        self.configuration = configuration
        self.sentinel = sentinel
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Closes `connection` when a Sentinel names another master, until it closes by itself.
    func watch(_ connection: RedisConnection) {
        let id = ObjectIdentifier(connection)
        box.withLockedValue { inner in
            inner.watched[id] = connection
            if inner.task == nil { inner.task = Task { await self.run() } }
        }
        connection.channel.closeFuture.whenComplete { [self] _ in
            let task: Task<Void, Never>? = box.withLockedValue { inner in
                inner.watched[id] = nil
                guard inner.watched.isEmpty else { return nil }
                defer { inner.task = nil }
                return inner.task
            }
            task?.cancel()
        }
    }

    private func run() async {
        var next = 0
        while !Task.isCancelled {
            let sentinels = SentinelDirectory.shared.sentinels(for: sentinel)
            await follow(sentinels[next % sentinels.count])
            next += 1
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
        }
    }

    /// Listens to one Sentinel until it fails or the monitor stops.
    private func follow(_ address: RedisServerAddress) async {
        do {
            let events = try await SentinelDiscovery.openSentinel(
                address, configuration: configuration, sentinel: sentinel, eventLoopGroup: eventLoopGroup,
                onPush: { [weak self] reply in self?.heard(reply) })
            defer { events.close() }
            _ = try await events.sendExpecting(RedisCommand("SUBSCRIBE", "+switch-master"), replies: 1)
            let queries = try await SentinelDiscovery.openSentinel(
                address, configuration: configuration, sentinel: sentinel, eventLoopGroup: eventLoopGroup)
            defer { queries.close() }
            while events.isActive {
                let reply = try await queries.sendRaw(RedisCommand("SENTINEL", "get-master-addr-by-name", sentinel.masterName))
                if let master = SentinelDiscovery.parseAddress(reply) { masterIs(master, heardFrom: address, how: "re-check") }
                try await Task.sleep(for: sentinel.recheckInterval)
            }
        } catch {
            logger.debug("Sentinel watch interrupted", metadata: ["sentinel": "\(address)", "error": "\(error)"])
        }
    }

    /// `+switch-master` payload: `<master name> <old ip> <old port> <new ip> <new port>`.
    private func heard(_ reply: RESPValue) {
        guard let items = reply.array, items.count == 3, let payload = items[2].string else { return }
        let fields = payload.split(separator: " ")
        guard fields.count == 5, fields[0] == sentinel.masterName, let port = Int(fields[4]) else { return }
        masterIs(RedisServerAddress(host: String(fields[3]), port: port), heardFrom: nil, how: "+switch-master")
    }

    private func masterIs(_ master: RedisServerAddress, heardFrom: RedisServerAddress?, how: String) {
        let stale = box.withLockedValue { inner in inner.watched.values.filter { $0.serverAddress != master.description } }
        for connection in stale {
            logger.notice("Redis master switched; reconnecting", metadata: [
                "redis.master.old": "\(connection.serverAddress)", "redis.master.new": "\(master)", "redis.switch.seen": "\(how)",
            ])
            connection.close()
        }
    }
}
