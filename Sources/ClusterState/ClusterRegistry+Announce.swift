import RedisClient

extension ClusterRegistry {
    /// Publishes each record's `UserJoined`, but only while that record is still this node's registration of the
    /// same connection in the same room. The check and the publish are one script, and a leave's unregistration is
    /// one script too, so other nodes hear either `UserJoined` before `UserLeft` or neither — never a `UserJoined`
    /// after the user's `UserLeft`, which would leave a departed user in their rooms. Recovery announces its members
    /// this way because they can leave while it runs. Returns how many announcements went out.
    @discardableResult
    public func announceJoined(_ records: [ConnectionRecord], node: String) async throws(RedisError) -> Int {
        guard !records.isEmpty else { return 0 }
        var arguments: [any RedisArgument] = [ClusterChannels.messages]
        arguments.reserveCapacity(1 + 4 * records.count)
        for record in records {
            let message = ClusterMessage.userJoined(.init(roomID: record.roomID, userID: record.userID,
                                                          username: record.username, targetServer: nil, sourceServer: node))
            arguments += [record.userID, record.connectionID, record.roomID, message.jsonBytes]
        }
        let reply = try await redis.run(ClusterScripts.announceJoined, keys: [ClusterKeys.connections(node: node)],
                                        arguments: arguments)
        guard let published = reply.int else { throw .protocolError("unexpected announce reply \(reply)") }
        return Int(published)
    }
}

extension ClusterScripts {
    /// Announce joins: for each member, publish its `UserJoined` when the node's connections entry for the user
    /// still names the same connection and room.
    /// KEYS: connections. ARGV: channel, then user, connection id, room, payload for each member.
    /// Returns how many were published.
    public static let announceJoined = RedisScript("""
        local published = 0
        for i = 2, #ARGV, 4 do
          local raw = redis.call('HGET', KEYS[1], ARGV[i])
          if raw then
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
}
