import RedisClient

/// Registrations a node makes again later — after an outage, or after Redis refused one — while its users keep
/// coming and going: each step checks in Redis that it still speaks for the member it names.
extension ClusterRegistry {
    /// Publishes each record's `UserJoined`, but only while that record is still this node's registration of the
    /// same connection in the same room (its connections entry and its room's participants entry). The check and
    /// the publish are one script, and a leave's unregistration is one script too, so other nodes hear either
    /// `UserJoined` before `UserLeft` or neither — never a `UserJoined` after the user's `UserLeft`, which would
    /// leave a departed user in their rooms. Returns how many announcements went out.
    @discardableResult
    public func announceJoined(_ records: [ConnectionRecord], node: String) async throws(RedisError) -> Int {
        guard !records.isEmpty else { return 0 }
        var keys: [any RedisArgument] = [ClusterKeys.connections(node: node)]
        var arguments: [any RedisArgument] = [ClusterChannels.messages, node]
        keys.reserveCapacity(1 + records.count)
        arguments.reserveCapacity(2 + 4 * records.count)
        for record in records {
            let message = ClusterMessage.userJoined(.init(roomID: record.roomID, userID: record.userID,
                                                          username: record.username, targetServer: nil, sourceServer: node))
            keys.append(ClusterKeys.participants(room: record.roomID))
            arguments += [record.userID, record.connectionID, record.roomID, message.jsonBytes]
        }
        let reply = try await redis.run(ClusterScripts.announceJoined, keys: keys, arguments: arguments)
        guard let published = reply.int else { throw .protocolError("unexpected announce reply \(reply)") }
        return Int(published)
    }

    /// `register` without the announcement, unless the room's participants entry for the user names another node
    /// (the user connected again there meanwhile): that registration is newer and stays.
    /// - Returns: nil when registered, else the node that holds the user in the room.
    public func registerUnlessTaken(_ record: ConnectionRecord, node: String) async throws(RedisError) -> String? {
        let reply = try await redis.run(
            ClusterScripts.registerUnlessTaken,
            keys: [ClusterKeys.participants(room: record.roomID), ClusterKeys.connections(node: node)],
            arguments: [record.userID, node, record.jsonBytes])
        return reply.isNull ? nil : reply.string
    }
}

extension ClusterScripts {
    /// Announce joins: for member i, publish its `UserJoined` when the node's connections entry for the user still
    /// names the same connection and room, and the room's participants entry still names the node.
    /// KEYS: connections, then the participants key of each member.
    /// ARGV: channel, node, then user, connection id, room, payload for each member. Returns how many were published.
    public static let announceJoined = RedisScript("""
        local published = 0
        for k = 1, #KEYS - 1 do
          local i = 3 + 4 * (k - 1)
          local raw = redis.call('HGET', KEYS[1], ARGV[i])
          if raw and redis.call('HGET', KEYS[1 + k], ARGV[i]) == ARGV[2] then
            local ok, record = pcall(cjson.decode, raw)
            if ok and type(record) == 'table' and record['connection_id'] == ARGV[i + 1]
                and record['room_id'] == ARGV[i + 2] then
              redis.call('PUBLISH', ARGV[1], ARGV[i + 3])
              published = published + 1
            end
          end
        end
        return published
        """)

    /// Register unless taken: the register script's two writes, skipped when the participants entry names another
    /// node. KEYS: participants, connections. ARGV: user, node, record JSON. Returns nil, or the other node.
    /// (As in `register`, the read comes first and the connections write second, so a key of the wrong type fails
    /// the script before anything is written.)
    public static let registerUnlessTaken = RedisScript("""
        local holder = redis.call('HGET', KEYS[1], ARGV[1])
        if holder and holder ~= ARGV[2] then return holder end
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return false
        """)
}
