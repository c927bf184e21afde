import RedisClient

/// The Lua scripts behind the registry's atomic operations. They receive every key and channel name, and every
/// payload, from Swift (`ClusterKeys`, `ClusterChannels`, the payload types). The only keys built in Lua are other
/// nodes' keys that a script finds by reading (`locate`, `relay` and `join`: a node's heartbeat or connections key),
/// and those from the prefix and suffixes that `ClusterKeys` passes in.
public enum ClusterScripts {
    /// Register: both hashes, and optionally the `UserJoined`, in one step.
    /// KEYS: participants, connections. ARGV: user, node, record JSON, channel ('' = no announcement), payload.
    /// Returns the node that held the user in this room before (nil if none).
    ///
    /// A script is not rolled back when a command in it fails, so the order matters: the HGET fails on a
    /// participants key of the wrong type before anything is written, the first HSET fails on a connections key of
    /// the wrong type before anything is written, and the second HSET is then on a key already known to be a hash.
    public static let register = RedisScript("""
        local previous = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
        return previous
        """)

    /// Unregister: the connections entry (only the given connection's, when a connection id is passed) and the
    /// participants entry (only where it still names this node); the `UserLeft` goes out only when the
    /// participants entry was removed.
    /// KEYS: participants, connections. ARGV: user, node, connection id or '', room, channel or '', payload.
    /// Returns {participants entries removed, connections entries removed}.
    public static let unregister = RedisScript("""
        local removeRecord = true
        local roomEntryIsOurs = true
        if ARGV[3] ~= '' then
          local raw = redis.call('HGET', KEYS[2], ARGV[1])
          if raw then
            local ok, record = pcall(cjson.decode, raw)
            if ok and type(record) == 'table' and record['connection_id'] ~= ARGV[3] then
              removeRecord = false
              roomEntryIsOurs = record['room_id'] ~= ARGV[4]
            end
          end
        end
        local c = 0
        if removeRecord then c = redis.call('HDEL', KEYS[2], ARGV[1]) end
        local p = 0
        if roomEntryIsOurs and redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
          p = redis.call('HDEL', KEYS[1], ARGV[1])
          if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
        end
        return {p, c}
        """)

    /// Locate: the node holding a user in a room, and whether that node's heartbeat key exists.
    /// KEYS: participants. ARGV: user, heartbeat key prefix, heartbeat key suffix.
    /// Returns nil, or {node, 1|0}.
    public static let locate = RedisScript("""
        local node = redis.call('HGET', KEYS[1], ARGV[1])
        if not node then return false end
        return {node, redis.call('EXISTS', ARGV[2] .. node .. ARGV[3])}
        """)

    /// Raise the user-id counter to at least ARGV[1] (never lower it). KEYS: counter. Returns the counter.
    public static let raiseCounter = RedisScript("""
        local raw = redis.call('GET', KEYS[1])
        local current = 0
        if raw then
          current = tonumber(raw)
          if current == nil then return redis.error_reply('ERR ' .. KEYS[1] .. ' is not an integer') end
        end
        if current < tonumber(ARGV[1]) then
          redis.call('SET', KEYS[1], ARGV[1])
          return ARGV[1]
        end
        return raw or '0'
        """)

    /// Sweep step 1, the claim: re-checks the dead-node rule and takes the node's claim key with SET NX PX.
    /// KEYS: connections, heartbeat, claim. ARGV: claim value ("<token> <sweeper>"), lease ms.
    /// Returns {'ok', entries} | {'alive'} | {'gone'} | {'claimed', holder value}.
    public static let sweepClaim = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'alive'} end
        if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
        local holder = redis.call('GET', KEYS[3])
        if holder then return {'claimed', holder} end
        redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
        return {'ok', redis.call('HLEN', KEYS[1])}
        """)

    /// Sweep step 2, one batch: while the claim is still ours and the node still has no heartbeat, renew the claim,
    /// and for each user: delete its connections entry; if that entry was still there, delete the participants entry
    /// where it still names the dead node and publish that user's `UserLeft`.
    /// KEYS: connections, heartbeat, claim, participants of user 1 … n.
    /// ARGV: node, claim value, lease ms, channel, n, then user i / payload i pairs, then unreadable users to drop.
    /// Returns {'ok', {removed i…}, {skipped i, current node or ''…}, dropped} | {'lost'} | {'alive'}.
    public static let sweepBatch = RedisScript("""
        if redis.call('GET', KEYS[3]) ~= ARGV[2] then return {'lost'} end
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'alive'} end
        redis.call('PEXPIRE', KEYS[3], ARGV[3])
        local n = tonumber(ARGV[5])
        local removed, skipped = {}, {}
        for i = 1, n do
          local user = ARGV[4 + 2 * i]
          if redis.call('HDEL', KEYS[1], user) == 1 then
            local owner = redis.call('HGET', KEYS[3 + i], user)
            if owner == ARGV[1] then
              redis.call('HDEL', KEYS[3 + i], user)
              redis.call('PUBLISH', ARGV[4], ARGV[5 + 2 * i])
              removed[#removed + 1] = i
            else
              skipped[#skipped + 1] = i
              skipped[#skipped + 1] = owner or ''
            end
          end
        end
        local dropped = 0
        for j = 6 + 2 * n, #ARGV do dropped = dropped + redis.call('HDEL', KEYS[1], ARGV[j]) end
        return {'ok', removed, skipped, dropped}
        """)

    /// Sweep step 3, the end: when the claim is ours and the connections hash is empty (Redis deletes an emptied
    /// hash, so: no longer exists), release the claim and publish `ServerSwept`. If the node came back meanwhile,
    /// release the claim and publish `ServerSwept` only when users were removed (ARGV[4] = '1').
    /// KEYS: connections, heartbeat, claim. ARGV: claim value, channel, payload, removed-any flag.
    /// Returns {'ok'} | {'more', entries left} | {'lost'} | {'alive'}.
    public static let sweepFinish = RedisScript("""
        if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {'lost'} end
        if redis.call('EXISTS', KEYS[2]) == 1 then
          redis.call('DEL', KEYS[3])
          if ARGV[4] == '1' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
          return {'alive'}
        end
        local left = redis.call('HLEN', KEYS[1])
        if left > 0 then return {'more', left} end
        redis.call('DEL', KEYS[3])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return {'ok'}
        """)

    /// Every script, for `SCRIPT LOAD` or display.
    public static let all: [(name: String, script: RedisScript)] = [
        ("register", register), ("unregister", unregister), ("locate", locate), ("raise_counter", raiseCounter),
        ("sweep_claim", sweepClaim), ("sweep_batch", sweepBatch), ("sweep_finish", sweepFinish),
        ("relay", relay), ("join", join), ("announce_joined", announceJoined),
        ("register_unless_taken", registerUnlessTaken),
    ]
}
