import Logging
import RedisClient

/// The cluster's shared state in Redis, as the node and the operator commands both see and change it.
///
/// Every operation here is one round trip (one Lua script or one pipeline), except `participants(inRoom:)`, which
/// needs the participants hash before it knows which records to read (two; `join` does both in one script). Changes that touch several keys are Lua
/// scripts: atomic, never read-then-write across round trips. Works on any `RedisCommandExecutor`: a single
/// `RedisConnection` or the reconnecting `RedisClient`.
public struct ClusterRegistry: Sendable {
    public let redis: any RedisCommandExecutor
    public let logger: Logger

    /// - Parameter logger: used by the sweep (one line per swept node); the hot-path operations never log.
    public init(redis: any RedisCommandExecutor, logger: Logger = Logger(label: "sigctl.cluster", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.redis = redis
        self.logger = logger
    }
}

// MARK: - Registration

/// What `unregister` removed.
public struct Unregistration: Sendable, Hashable {
    /// The participants entry named this node and was removed (the `UserLeft` went out, when asked for).
    public var removedFromRoom: Bool
    /// The connections entry was removed.
    public var removedRecord: Bool

    public init(removedFromRoom: Bool, removedRecord: Bool) {
        self.removedFromRoom = removedFromRoom
        self.removedRecord = removedRecord
    }
}

/// Where a user is, for relaying to it.
public struct UserLocation: Sendable, Hashable {
    /// The node the participants hash names.
    public var node: String
    /// That node's heartbeat key exists.
    public var nodeAlive: Bool

    public init(node: String, nodeAlive: Bool) {
        self.node = node
        self.nodeAlive = nodeAlive
    }
}

extension ClusterRegistry {
    /// Registers a user in a room on a node: `rooms:{room}:participants[user] = node` and
    /// `servers:{node}:connections[user] = record`, atomically. With `announce`, the same script publishes the
    /// `UserJoined` (`target_server` null, `source_server` = `node`) on `cluster:messages`.
    ///
    /// - Returns: the node that held the user in this room before (the same node on a repeated call), or nil.
    @discardableResult
    public func register(_ record: ConnectionRecord, node: String, announce: Bool = false) async throws(RedisError) -> String? {
        let call = registerCall(record, node: node, announce: announce)
        let reply = try await redis.run(ClusterScripts.register, keys: call.keys, arguments: call.arguments)
        return reply.isNull ? nil : reply.string
    }

    /// Registers many users in one pipelined write (re-registering every local user after a Redis outage).
    /// - Returns: for each record, the node that held the user in its room before, or nil.
    @discardableResult
    public func registerAll(_ records: [ConnectionRecord], node: String, announce: Bool = false) async throws(RedisError) -> [String?] {
        let replies = try await runPipelined(ClusterScripts.register, records.map { registerCall($0, node: node, announce: announce) })
        return try replies.map { (reply) throws(RedisError) -> String? in
            if let message = reply.errorMessage { throw .server(message) }
            return reply.isNull ? nil : reply.string
        }
    }

    /// Registers many users in one pipelined write, each on its own: a record whose script fails (its room's key
    /// holds another type, say) does not stop the others, as it would stop `registerAll`'s caller.
    /// - Returns: for each record, nil when it was registered, else the error Redis answered for it.
    public func registerEach(_ records: [ConnectionRecord], node: String) async throws(RedisError) -> [RedisError?] {
        let replies = try await runPipelined(ClusterScripts.register, records.map { registerCall($0, node: node, announce: false) })
        return replies.map { reply in reply.errorMessage.map(RedisError.server) }
    }

    func registerCall(_ record: ConnectionRecord, node: String, announce: Bool) -> ScriptCall {
        var arguments: [any RedisArgument] = [record.userID, node, record.jsonBytes]
        if announce {
            let message = ClusterMessage.userJoined(.init(roomID: record.roomID, userID: record.userID, username: record.username,
                                                          targetServer: nil, sourceServer: node))
            arguments += [ClusterChannels.messages, message.jsonBytes]
        } else {
            arguments += ["", ""]
        }
        return ScriptCall(keys: [ClusterKeys.participants(room: record.roomID), ClusterKeys.connections(node: node)], arguments: arguments)
    }

    /// Unregisters a user from a room on a node, atomically: the connections entry goes, and the participants entry
    /// goes only where it still names `node` (the user may have joined again elsewhere). With `connectionID`, a
    /// connections entry written by another connection of the same user is left alone (and so is the participants
    /// entry, when that connection is in the same room). With `announce`, the `UserLeft` is published by the same
    /// script, and only when the participants entry was removed — so it goes out exactly once, whoever removes it.
    @discardableResult
    public func unregister(userID: UInt64, room: String, node: String, connectionID: String? = nil,
                           announce: Bool = false) async throws(RedisError) -> Unregistration {
        var arguments: [any RedisArgument] = [userID, node, connectionID ?? "", room]
        if announce {
            let message = ClusterMessage.userLeft(.init(roomID: room, userID: userID, targetServer: nil, sourceServer: node))
            arguments += [ClusterChannels.messages, message.jsonBytes]
        } else {
            arguments += ["", ""]
        }
        let reply = try await redis.run(
            ClusterScripts.unregister,
            keys: [ClusterKeys.participants(room: room), ClusterKeys.connections(node: node)], arguments: arguments)
        guard let parts = reply.array, parts.count == 2, let p = parts[0].int, let c = parts[1].int else {
            throw .protocolError("unexpected unregister reply \(reply)")
        }
        return Unregistration(removedFromRoom: p > 0, removedRecord: c > 0)
    }

    /// The node that holds `userID` in `room`, and whether its heartbeat is live: one script, one round trip (the
    /// relay path). Nil when the room has no entry for the user.
    public func locate(userID: UInt64, room: String) async throws(RedisError) -> UserLocation? {
        let reply = try await redis.run(
            ClusterScripts.locate, keys: [ClusterKeys.participants(room: room)],
            arguments: [userID, ClusterKeys.serverPrefix, ClusterKeys.heartbeatSuffix])
        if reply.isNull { return nil }
        guard let parts = reply.array, parts.count == 2, let node = parts[0].string, let alive = parts[1].int else {
            throw .protocolError("unexpected locate reply \(reply)")
        }
        return UserLocation(node: node, nodeAlive: alive == 1)
    }

    /// Everyone in a room, each with its record from its node's connections hash and its node's liveness, sorted by
    /// user id. Two round trips: the participants hash, then one pipeline for every record and every node's keys.
    /// A participant whose record is missing (or unreadable, or for another room) is returned with that status.
    public func participants(inRoom room: String) async throws(RedisError) -> [RoomParticipant] {
        try await readRoom(room).participants
    }

    /// `participants(inRoom:)`, plus the participants-hash fields that are not user ids.
    func readRoom(_ room: String) async throws(RedisError) -> (participants: [RoomParticipant], strays: [String]) {
        let reply = try await redis.send("HGETALL", ClusterKeys.participants(room: room))
        guard let flat = reply.array else { throw .protocolError("unexpected HGETALL reply") }
        let (entries, strays) = Self.roomEntries(flat)
        if entries.isEmpty { return ([], strays) }
        let nodes = Array(Set(entries.map(\.node))).sorted()
        var commands = entries.map { RedisCommand("HGET", ClusterKeys.connections(node: $0.node), $0.user) }
        for node in nodes {
            commands.append(RedisCommand("EXISTS", ClusterKeys.connections(node: node)))
            commands.append(RedisCommand("EXISTS", ClusterKeys.heartbeat(node: node)))
        }
        let replies = try await redis.pipelineChecked(commands)
        var liveness: [String: NodeLiveness] = [:]
        for (k, node) in nodes.enumerated() {
            let base = entries.count + 2 * k
            liveness[node] = NodeLiveness(connectionsHashExists: replies[base].int == 1, heartbeatExists: replies[base + 1].int == 1)
        }
        let participants = entries.enumerated().map { index, entry in
            RoomParticipant(userID: entry.user, node: entry.node, room: room, rawRecord: replies[index].bytes,
                            nodeLiveness: liveness[entry.node] ?? .gone)
        }
        return (participants, strays)
    }
}

// MARK: - Heartbeat and publishing

/// What a heartbeat write found.
public struct HeartbeatWrite: Sendable, Hashable {
    /// The heartbeat value that was there before this write; nil when the key was missing (the first beat, or the
    /// key expired or was removed: the node may have been swept and should re-register, PROTOCOL.md §2).
    public var previous: Int64?
    /// The node's connections hash exists (it should, while the node has users in rooms).
    public var connectionsHashExists: Bool

    public init(previous: Int64?, connectionsHashExists: Bool) {
        self.previous = previous
        self.connectionsHashExists = connectionsHashExists
    }
}

extension ClusterRegistry {
    /// Writes `servers:{node}:heartbeat` = `now` (unix seconds) with a TTL, and reads what was there and whether the
    /// connections hash exists, in one pipeline.
    @discardableResult
    public func writeHeartbeat(node: String, ttl: Duration, now: Int64) async throws(RedisError) -> HeartbeatWrite {
        let ms = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        let replies = try await redis.pipelineChecked([
            RedisCommand("SET", ClusterKeys.heartbeat(node: node), now, "PX", ms, "GET"),
            RedisCommand("EXISTS", ClusterKeys.connections(node: node)),
        ])
        return HeartbeatWrite(previous: replies[0].isNull ? nil : replies[0].int, connectionsHashExists: replies[1].int == 1)
    }

    /// Whether the node's connections hash exists (it does while the node has users in rooms).
    public func connectionsHashExists(node: String) async throws(RedisError) -> Bool {
        try await redis.send("EXISTS", ClusterKeys.connections(node: node)).int == 1
    }

    /// Whether the node's heartbeat key and its connections hash exist, in one round trip: a live node that finds its
    /// heartbeat gone, or its connections hash gone while it has users in rooms, was swept (or Redis lost its keys).
    public func registrationExists(node: String) async throws(RedisError) -> (heartbeat: Bool, connectionsHash: Bool) {
        let replies = try await redis.pipelineChecked([
            RedisCommand("EXISTS", ClusterKeys.heartbeat(node: node)),
            RedisCommand("EXISTS", ClusterKeys.connections(node: node)),
        ])
        return (replies[0].int == 1, replies[1].int == 1)
    }

    /// Deletes the node's heartbeat (graceful shutdown, after its users are unregistered).
    public func removeHeartbeat(node: String) async throws(RedisError) {
        try await redis.send("DEL", ClusterKeys.heartbeat(node: node))
    }

    /// Publishes on `cluster:messages`. Returns how many subscribers received it.
    @discardableResult
    public func publish(_ message: ClusterMessage) async throws(RedisError) -> Int {
        Int(try await redis.send("PUBLISH", ClusterChannels.messages, message.jsonBytes).int ?? 0)
    }

    /// Publishes on `cluster:node:{node}` (direct signal routing). Returns how many subscribers received it: 0 means
    /// the node is gone (`target_not_found`).
    @discardableResult
    public func publish(_ message: ClusterMessage, toNode node: String) async throws(RedisError) -> Int {
        Int(try await redis.send("PUBLISH", ClusterChannels.node(node), message.jsonBytes).int ?? 0)
    }

    /// Publishes on `cluster:events`. Returns how many subscribers received it.
    @discardableResult
    public func publish(_ event: ClusterEvent) async throws(RedisError) -> Int {
        Int(try await redis.send("PUBLISH", ClusterChannels.events, event.jsonBytes).int ?? 0)
    }
}

// MARK: - Scripts in pipelines

struct ScriptCall: Sendable {
    var keys: [any RedisArgument]
    var arguments: [any RedisArgument]
}

extension ClusterRegistry {
    /// Runs one script many times in one pipelined write (EVALSHA), loading it and resending the calls that came
    /// back NOSCRIPT. Error replies are returned as values.
    func runPipelined(_ script: RedisScript, _ calls: [ScriptCall]) async throws(RedisError) -> [RESPValue] {
        let commands = calls.map { call -> RedisCommand in
            var args: [any RedisArgument] = [script.sha1, call.keys.count]
            args += call.keys
            args += call.arguments
            return RedisCommand("EVALSHA", arguments: args)
        }
        var replies = try await redis.pipeline(commands)
        let missing = replies.indices.filter { replies[$0].errorMessage?.hasPrefix("NOSCRIPT") == true }
        if !missing.isEmpty {
            try await redis.send("SCRIPT", "LOAD", script.source)
            let retried = try await redis.pipeline(missing.map { commands[$0] })
            for (k, index) in missing.enumerated() { replies[index] = retried[k] }
        }
        return replies
    }
}
