import Logging
import NIOCore

/// Finds the master through the Sentinels and connects to it, as the Sentinel client spec says: ask each Sentinel in
/// turn (`SENTINEL get-master-addr-by-name`, short timeouts), connect to the address it gives, confirm with `ROLE`
/// that it is a master, else go on to the next Sentinel; learn the other Sentinels (`SENTINEL sentinels`).
enum SentinelDiscovery {
    static func connectToMaster(
        _ configuration: RedisConfiguration, sentinel: RedisSentinelOptions, eventLoopGroup: any EventLoopGroup,
        logger: Logger, onPush: (@Sendable (RESPValue) -> Void)?
    ) async throws(RedisError) -> RedisConnection {
        let directory = SentinelDirectory.shared
        let sentinels = directory.sentinels(for: sentinel)
        var problems: [String] = []
        var unknownMaster = 0
        for address in sentinels {
            let master: RedisServerAddress
            do throws(RedisError) {
                guard let found = try await askForMaster(address, configuration: configuration, sentinel: sentinel,
                                                         eventLoopGroup: eventLoopGroup)
                else {
                    unknownMaster += 1
                    problems.append("\(address) does not know it")
                    continue
                }
                master = found
            } catch {
                problems.append("\(address): \(brief(error))")
                continue
            }
            directory.promote(address, for: sentinel)
            let connection: RedisConnection
            do throws(RedisError) {
                connection = try await RedisConnection.open(
                    configuration, at: .tcp(host: master.host, port: master.port), dropOnFailoverReplies: true,
                    eventLoopGroup: eventLoopGroup, onPush: onPush)
            } catch {
                // A wrong password or certificate is the operator's to fix, not a reason to try another Sentinel.
                if case .authenticationFailed = error { throw error }
                if case .tls = error { throw error }
                problems.append("master \(master) (from \(address)): \(brief(error))")
                continue
            }
            do throws(RedisError) {
                let role = try await connection.sendRaw(RedisCommand("ROLE"))
                guard role.array?.first?.string == "master" else {
                    connection.close()
                    problems.append("\(master) (from \(address)) is a \(role.array?.first?.string ?? "non-master"), not a master")
                    continue
                }
            } catch {
                connection.close()
                problems.append("master \(master): \(brief(error))")
                continue
            }
            if sentinel.followSwitches {
                SentinelMonitor.shared(for: configuration, sentinel: sentinel, eventLoopGroup: eventLoopGroup, logger: logger)
                    .watch(connection)
            }
            return connection
        }
        if unknownMaster == sentinels.count {
            throw .sentinel("no Sentinel knows a master named '\(sentinel.masterName)' (asked "
                + sentinels.map(\.description).joined(separator: ", ") + ")")
        }
        throw .sentinel("no usable master '\(sentinel.masterName)': " + problems.joined(separator: "; "))
    }

    /// The master's address according to one Sentinel (nil: it does not know the name), learning the other Sentinels
    /// in the same round trip.
    static func askForMaster(
        _ address: RedisServerAddress, configuration: RedisConfiguration, sentinel: RedisSentinelOptions,
        eventLoopGroup: any EventLoopGroup
    ) async throws(RedisError) -> RedisServerAddress? {
        let connection = try await openSentinel(address, configuration: configuration, sentinel: sentinel,
                                                eventLoopGroup: eventLoopGroup)
        defer { connection.close() }
        let replies = try await connection.pipeline([
            RedisCommand("SENTINEL", "get-master-addr-by-name", sentinel.masterName),
            RedisCommand("SENTINEL", "sentinels", sentinel.masterName),
        ])
        if let message = replies[0].errorMessage { throw .server(message) }
        guard let master = parseAddress(replies[0]) else { return nil }
        SentinelDirectory.shared.learn(parseSentinels(replies[1]), for: sentinel)
        return master
    }

    /// A connection to one Sentinel: its own credentials, no database, the short Sentinel timeouts, TLS as configured.
    static func openSentinel(
        _ address: RedisServerAddress, configuration: RedisConfiguration, sentinel: RedisSentinelOptions,
        eventLoopGroup: any EventLoopGroup, onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        var config = configuration
        config.connectTimeout = sentinel.timeout
        config.commandTimeout = sentinel.timeout
        return try await RedisConnection.open(
            config, at: .tcp(host: address.host, port: address.port),
            credentials: (sentinel.username, sentinel.password, 0), eventLoopGroup: eventLoopGroup, onPush: onPush)
    }

    /// `["127.0.0.1", "6379"]` → 127.0.0.1:6379; a null reply (unknown master) → nil.
    static func parseAddress(_ reply: RESPValue) -> RedisServerAddress? {
        guard let items = reply.array, items.count == 2, let host = items[0].string,
              let portText = items[1].string, let port = Int(portText) else { return nil }
        return RedisServerAddress(host: host, port: port)
    }

    /// `SENTINEL sentinels`: one flat field/value array per Sentinel.
    static func parseSentinels(_ reply: RESPValue) -> [RedisServerAddress] {
        (reply.array ?? []).compactMap { entry in
            guard let fields = entry.array else { return nil }
            var ip: String?
            var port: Int?
            for i in stride(from: 0, to: fields.count - 1, by: 2) {
                switch fields[i].string {
                case "ip": ip = fields[i + 1].string
                case "port": port = fields[i + 1].string.flatMap { Int($0) }
                default: break
                }
            }
            guard let ip, let port else { return nil }
            return RedisServerAddress(host: ip, port: port)
        }
    }

    private static func brief(_ error: RedisError) -> String {
        switch error {
        case .connectionRefused(_, let reason): return reason
        case .connectTimeout(_, let seconds): return "no answer within \(seconds) s"
        default: return error.description
        }
    }
}
