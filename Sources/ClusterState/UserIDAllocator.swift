import Logging
import RedisClient
import Synchronization

/// Cluster-unique user ids (1 … 2^53−1), leased from `users:next_id` in blocks.
///
/// `INCRBY users:next_id <blockSize>` reserves a block for this process alone; ids are then handed out locally, so a
/// node cut off from Redis keeps issuing ids from what it already leased, and they collide with no one's. After a
/// Redis restart (an empty counter), `raiseCounter(atLeast:)` puts the counter back above every id this process
/// leased and every id still in use, so new leases elsewhere cannot collide either.
///
/// At most one lease is in flight: callers that need ids (`next()`) or want a spare block (`refill(below:)`) while
/// one is under way wait for it rather than leasing their own, so a burst of joins leases one block, not one each.
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
        /// The lease under way that `next()` and `refill(below:)` share, if any.
        var leasing: Task<Void, any Error>?

        var available: Int { blocks.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound + 1) } }

        mutating func add(_ block: ClosedRange<UInt64>) {
            blocks.append(block)
            highestLeased = max(highestLeased, block.upperBound)
        }
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
    /// Callers that find the lease used up at once share one `INCRBY`.
    public func next() async throws -> UInt64 {
        while true {
            if let id = nextLeased() { return id }
            try await sharedLease(unlessAvailable: 1)
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
    public var available: Int { state.withLock { $0.available } }

    /// Whether a lease shared by `next()` and `refill(below:)` is under way.
    public var isLeasing: Bool { state.withLock { $0.leasing != nil } }

    /// The highest id this allocator ever leased (0 when none).
    public var highestLeased: UInt64 { state.withLock { $0.highestLeased } }

    /// Leases one more block (one `INCRBY`) and adds it to what is available, whether or not another lease is under
    /// way. `next()` and `refill(below:)` share one lease instead.
    @discardableResult
    public func lease() async throws -> ClosedRange<UInt64> {
        let block = try await leaseBlock()
        state.withLock { $0.add(block) }
        return block
    }

    /// Leases a block when fewer than `threshold` ids are available and no lease is under way; waits for the lease
    /// under way, if any, instead of starting another (call it while connected, so that an outage starts with ids
    /// in hand).
    public func refill(below threshold: Int) async throws {
        try await sharedLease(unlessAvailable: threshold)
    }

    /// Waits for the lease under way, or starts one when fewer than `threshold` ids are available: the check and the
    /// start are one step under the lock, so two callers never lease for the same shortage.
    private func sharedLease(unlessAvailable threshold: Int) async throws {
        let shared = state.withLock { state -> Task<Void, any Error>? in
            if let leasing = state.leasing { return leasing }
            guard state.available < threshold else { return nil }
            // Unstructured so that a caller that is cancelled does not cancel the others' lease; it ends with the
            // INCRBY's answer (or the command's timeout).
            let leasing = Task { try await self.finishSharedLease() }
            state.leasing = leasing
            return leasing
        }
        try await shared?.value
    }

    /// The body of the shared lease: the block is added and the lease marked finished in one step.
    private func finishSharedLease() async throws {
        do {
            let block = try await leaseBlock()
            state.withLock { state in
                state.add(block)
                state.leasing = nil
            }
        } catch {
            state.withLock { $0.leasing = nil }
            throw error
        }
    }

    /// One `INCRBY users:next_id <blockSize>`: the block it reserved.
    private func leaseBlock() async throws -> ClosedRange<UInt64> {
        let reply = try await redis.send("INCRBY", ClusterKeys.nextUserID, blockSize)
        guard let end = reply.int, end >= 1 else { throw RedisError.protocolError("unexpected INCRBY reply \(reply)") }
        let last = UInt64(end)
        let first = last >= UInt64(blockSize) ? last - UInt64(blockSize) + 1 : 1
        guard first <= Self.maxUserID else { throw ClusterStateError.userIDsExhausted }
        let block = first...min(last, Self.maxUserID)
        logger.debug("leased user ids", metadata: ["ids.first": "\(block.lowerBound)", "ids.last": "\(block.upperBound)"])
        return block
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
