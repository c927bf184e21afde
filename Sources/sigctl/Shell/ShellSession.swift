import ClusterState
import Foundation
import RedisClient

/// What the shell knows between prompts: the command tree, and the room and node ids last seen in
/// Redis, which the completion callback (synchronous, C) reads without touching the network.
final class ShellSession: @unchecked Sendable {
    let redisURL: String
    let catalog: CommandCatalog?
    private let lock = NSLock()
    private var rooms: [String] = []
    private var nodes: [String] = []

    init(redisURL: String) {
        self.redisURL = redisURL
        self.catalog = CommandCatalog.load()
    }

    /// Re-reads room and node ids before each prompt. A refused connection fails at once; a host that does not answer
    /// delays the prompt by the 1 s connect limit, and one that accepts but stalls by 2 s more per SCAN batch at most
    /// (a few seconds in all), while a busy Redis host still gets to answer.
    func refreshIds() async {
        guard var config = try? RedisConfiguration(url: redisURL) else { return }
        config.connectTimeout = .seconds(1)
        config.commandTimeout = .seconds(2)
        config.sentinel?.followSwitches = false  // one short read per prompt: find the master, nothing to follow
        guard let connection = try? await RedisConnection.connect(config) else { return }
        defer { connection.close() }
        let roomIds = await Self.ids(connection, ClusterKeys.participantsPattern(), ClusterKeys.room(fromParticipantsKey:))
        let nodeIds = await Self.ids(connection, ClusterKeys.connectionsPattern, ClusterKeys.node(fromConnectionsKey:))
            + Self.ids(connection, ClusterKeys.heartbeatPattern, ClusterKeys.node(fromHeartbeatKey:))
        lock.withLock {
            rooms = roomIds.sorted()
            nodes = Array(Set(nodeIds)).sorted()
        }
    }

    /// Up to `limit` ids from the keys matching `pattern`.
    private static func ids(_ redis: RedisConnection, _ pattern: String, _ parse: (String) -> String?, limit: Int = 2_000) async -> [String] {
        var out: [String] = []
        do {
            for try await batch in redis.scan(match: pattern, count: 1000) {
                out += batch.compactMap { parse($0.name) }
                if out.count >= limit { break }
            }
        } catch {}
        return out
    }

    /// Completion candidates for the word being typed, given the words before it.
    func complete(previous: [String], partial: String) -> [String] {
        guard let catalog else { return [] }
        var words = previous
        if words.first == "sigctl" { words.removeFirst() }
        let (node, used) = catalog.node(for: words)
        let (roomIds, nodeIds) = lock.withLock { (rooms, nodes) }
        let builtins = used == 0 && words.isEmpty ? ["help", "exit"] : []

        // The value of an option: `--node <TAB>`, `--format <TAB>`.
        if let last = words.last, used < words.count, last.hasPrefix("--") {
            if let values = catalog.allowedValues(ofOption: last, in: node) { return values }
            switch catalog.valueName(ofOption: last, in: node) {
            case "node-id", "node": return nodeIds
            case "room-id", "room": return roomIds
            case .some: return []
            case .none: break
            }
        }
        if partial.hasPrefix("-") { return catalog.optionNames(of: node) }
        let subcommands = catalog.subcommandNames(of: node)
        if !subcommands.isEmpty { return subcommands + builtins }
        let positionals = catalog.positionalValueNames(of: node)
        if positionals.contains(where: { $0.contains("room") }) { return roomIds }
        if positionals.contains(where: { $0.contains("node") }) { return nodeIds }
        return catalog.optionNames(of: node)
    }
}
