import Logging
import RedisClient
import Synchronization

/// Cluster-unique user ids (1 … 2^53−1), leased from `users:next_id` in blocks.
///
/// `INCRBY users:next_id <blockSize>` reserves a block for this process alone; ids are then handed out locally, so a
/// node cut off from Redis keeps issuing ids from what it already leased, and they collide with no one's. After a
/// Redis restart (an empty counter), `raiseCounter(atLeast:)` puts the counter back above every id this process
/// leased and every id still in use, so new leases elsewhere cannot collide either.
public final class UserIDAllocator: Sendable {
    /// The largest id: 2^53 − 1, the largest integer a JavaScript number holds exactly.
    public static let maxUserID: UInt64 = (1 << 53) - 1

    public let redis: any RedisCommandExecutor
    public let blockSize: Int
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// Leased, not yet handed out, in order.
        var blocks: [ClosedRange<UInt64>] = []
        /// The highest id ever leased by this allocator (0: none).
        var highestLeased: UInt64 = 0
    }

    public init(redis: any RedisCommandExecutor, blockSize: Int = 100,
                logger: Logger = Logger(label: "sigctl.cluster.ids", factory: { _ in SwiftLogNoOpLogHandler() })) {
        precondition(blockSize >= 1, "blockSize must be at least 1")
        self.redis = redis
        self.blockSize = blockSize
        self.logger = logger
    }

    /// The next id: from the current lease, or (when it is used up) from a new block leased with one `INCRBY`.
    /// Throws `RedisError` when a lease is needed and Redis cannot give one, `ClusterStateError.userIDsExhausted`
    /// when the counter has passed 2^53 − 1.
    public func next() async throws -> UInt64 {
        if let id = nextLeased() { return id }
        while true {
            try await lease()
            if let id = nextLeased() { return id }
        }
    }

    /// The next id from what is already leased, without Redis; nil when the lease is used up.
    public func nextLeased() -> UInt64? {
        state.withLock { state -> UInt64? in
            guard let first = state.blocks.first else { return nil }
            let id = first.lowerBound
            if first.lowerBound == first.upperBound {
                state.blocks.removeFirst()
            } else {
                state.blocks[0] = (first.lowerBound + 1)...first.upperBound
            }
            return id
        }
    }

    /// Ids leased and not yet handed out.
    public var available: Int {
        state.withLock { $0.blocks.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound + 1) } }
    }

    /// The highest id this allocator ever leased (0 when none).
    public var highestLeased: UInt64 { state.withLock { $0.highestLeased } }

    /// Leases one more block (one `INCRBY`) and adds it to what is available.
    @discardableResult
    public func lease() async throws -> ClosedRange<UInt64> {
        let reply = try await redis.send("INCRBY", ClusterKeys.nextUserID, blockSize)
        guard let end = reply.int, end >= 1 else { throw RedisError.protocolError("unexpected INCRBY reply \(reply)") }
        let last = UInt64(end)
        let first = last >= UInt64(blockSize) ? last - UInt64(blockSize) + 1 : 1
        guard first <= Self.maxUserID else { throw ClusterStateError.userIDsExhausted }
        let block = first...min(last, Self.maxUserID)
        state.withLock { state in
            state.blocks.append(block)
            state.highestLeased = max(state.highestLeased, block.upperBound)
        }
        logger.debug("leased user ids", metadata: ["ids.first": "\(block.lowerBound)", "ids.last": "\(block.upperBound)"])
        return block
    }

    /// Leases a block when fewer than `threshold` ids are available (call it while connected, so that an outage
    /// starts with ids in hand).
    public func refill(below threshold: Int) async throws {
        if available < threshold { try await lease() }
    }

    /// Raises `users:next_id` to at least `id` and at least every id this allocator leased, atomically (a Lua script;
    /// the counter never goes down). For after a Redis restart: pass the highest id in use locally.
    /// - Returns: the counter's value afterwards.
    @discardableResult
    public func raiseCounter(atLeast id: UInt64 = 0) async throws -> UInt64 {
        let target = max(id, highestLeased)
        let reply = try await redis.run(ClusterScripts.raiseCounter, keys: [ClusterKeys.nextUserID], arguments: [target])
        guard let value = reply.int, value >= 0 else { throw RedisError.protocolError("unexpected counter reply \(reply)") }
        return UInt64(value)
    }
}
