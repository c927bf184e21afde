import SignalingProtocol
import Synchronization

/// User ids for a node that has to admit users before it ever reached Redis.
///
/// Leased ids come from `users:next_id`, which counts up from 1 and in practice never gets near 2^52.
/// A node with no lease takes ids from the upper half of the id space instead, in a slice of 2^20 ids
/// picked by a hash of its node id: they cannot collide with leased ids, and two nodes cut off at
/// start collide only if their slices coincide (1 in 2^32 per pair).
final class ProvisionalUserIDs: Sendable {
    /// The lowest provisional id; leased ids stay below it.
    static let floor: UserID = 1 << 52
    private static let base: UserID = floor
    private static let sliceSize: UserID = 1 << 20
    private let range: ClosedRange<UserID>
    private let counter: Mutex<UserID>

    init(nodeID: String) {
        // FNV-1a: stable across processes (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in nodeID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let slices = (Limits.maxUserID - Self.base) / Self.sliceSize
        let first = Self.base + (hash % slices) * Self.sliceSize
        range = first...(first + Self.sliceSize - 1)
        counter = Mutex(first)
    }

    func next() throws -> UserID {
        try counter.withLock { next in
            guard range.contains(next) else { throw UserIDExhausted() }
            defer { next += 1 }
            return next
        }
    }
}
