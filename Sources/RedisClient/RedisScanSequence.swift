/// SCAN or HSCAN as an async sequence: each element is one batch the server returned
/// (keys for SCAN, alternating field/value for HSCAN, already paired), so callers can work in
/// batches and never hold the whole key space.
public struct RedisScanSequence: AsyncSequence, Sendable {
    public typealias Element = [ScanItem]

    public enum ScanItem: Sendable, Hashable {
        case key(String)
        case field(name: String, value: [UInt8])

        public var name: String {
            switch self {
            case .key(let k): return k
            case .field(let name, _): return name
            }
        }
    }

    let executor: any RedisCommandExecutor
    let command: String
    let key: String?
    let pattern: String?
    let count: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(sequence: self)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let sequence: RedisScanSequence
        var cursor = "0"
        var finished = false

        public mutating func next() async throws -> [ScanItem]? {
            while !finished {
                var args: [any RedisArgument] = []
                if let key = sequence.key { args.append(key) }
                args.append(cursor)
                if let pattern = sequence.pattern { args.append(contentsOf: ["MATCH", pattern] as [any RedisArgument]) }
                args.append(contentsOf: ["COUNT", sequence.count] as [any RedisArgument])
                let reply = try await sequence.executor.send(RedisCommand(sequence.command, arguments: args))
                guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let items = parts[1].array else {
                    throw RedisError.protocolError("unexpected \(sequence.command) reply")
                }
                cursor = next
                finished = next == "0"
                let batch: [ScanItem]
                if sequence.key == nil {
                    batch = items.compactMap { $0.string.map(ScanItem.key) }
                } else {
                    var pairs: [ScanItem] = []
                    pairs.reserveCapacity(items.count / 2)
                    var i = 0
                    while i + 1 < items.count {
                        pairs.append(.field(name: items[i].string ?? "", value: items[i + 1].bytes ?? []))
                        i += 2
                    }
                    batch = pairs
                }
                // SCAN may return an empty batch with a non-zero cursor: keep going rather than yield nothing.
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }
}

extension RedisScanSequence {
    /// Collects every item (for small results and tests).
    public func collect() async throws -> [ScanItem] {
        var all: [ScanItem] = []
        for try await batch in self { all.append(contentsOf: batch) }
        return all
    }
}
