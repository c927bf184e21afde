import NIOConcurrencyHelpers

/// The Sentinels known for each master, for the whole process: those of the URL first, then those learned with
/// `SENTINEL sentinels`. The one that last answered is asked first next time (as the Sentinel client spec says).
final class SentinelDirectory: Sendable {
    static let shared = SentinelDirectory()

    struct Key: Hashable, Sendable {
        var masterName: String
        var seeds: [RedisServerAddress]

        init(_ options: RedisSentinelOptions) {
            masterName = options.masterName
            seeds = options.sentinels
        }
    }

    private let box = NIOLockedValueBox<[Key: [RedisServerAddress]]>([:])

    func sentinels(for options: RedisSentinelOptions) -> [RedisServerAddress] {
        box.withLockedValue { $0[Key(options)] ?? options.sentinels }
    }

    /// Moves `sentinel` to the front: it answered.
    func promote(_ sentinel: RedisServerAddress, for options: RedisSentinelOptions) {
        box.withLockedValue { known in
            var list = known[Key(options)] ?? options.sentinels
            list.removeAll { $0 == sentinel }
            list.insert(sentinel, at: 0)
            known[Key(options)] = list
        }
    }

    /// Adds Sentinels that a Sentinel reported and that were not known yet, at the end.
    func learn(_ sentinels: [RedisServerAddress], for options: RedisSentinelOptions) {
        box.withLockedValue { known in
            var list = known[Key(options)] ?? options.sentinels
            for sentinel in sentinels where !list.contains(sentinel) { list.append(sentinel) }
            known[Key(options)] = list
        }
    }
}
