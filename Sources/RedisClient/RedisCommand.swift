import CHiredis
import NIOCore

/// A value that can be a command argument. Arguments are bytes: Redis is binary-safe.
public protocol RedisArgument: Sendable {
    func appendRedisArgument(to bytes: inout [UInt8])
}

extension String: RedisArgument {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: utf8) }
}
extension Substring: RedisArgument {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: utf8) }
}
extension Int: RedisArgument {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: String(self).utf8) }
}
extension Int64: RedisArgument {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: String(self).utf8) }
}
extension UInt64: RedisArgument {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: String(self).utf8) }
}
extension Array: RedisArgument where Element == UInt8 {
    public func appendRedisArgument(to bytes: inout [UInt8]) { bytes.append(contentsOf: self) }
}

/// One command, already encoded as RESP by hiredis's `redisFormatCommandArgv`.
///
/// Encoding happens when the command is built, on the caller's task, so the event loop only copies bytes.
public struct RedisCommand: Sendable {
    /// The RESP bytes that go on the wire.
    public let encoded: [UInt8]
    /// The command name, upper-cased, for logs and for telling subscriber commands apart.
    public let name: String

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments: arguments)
    }

    public init(_ name: String, arguments: [any RedisArgument]) {
        // All arguments go into one buffer; hiredis gets pointers into it plus explicit lengths,
        // which keeps `\0` and `\r\n` inside values intact.
        var packed: [UInt8] = Array(name.utf8)
        var ends: [Int] = [packed.count]
        for argument in arguments {
            argument.appendRedisArgument(to: &packed)
            ends.append(packed.count)
        }
        self.name = name.uppercased()
        self.encoded = RedisCommand.format(packed: packed, ends: ends)
    }

    /// Builds a command from raw byte arguments (the first is the command name).
    public init(raw arguments: [[UInt8]]) {
        precondition(!arguments.isEmpty, "a command needs a name")
        var packed: [UInt8] = []
        var ends: [Int] = []
        for argument in arguments {
            packed.append(contentsOf: argument)
            ends.append(packed.count)
        }
        self.name = String(decoding: arguments[0], as: UTF8.self).uppercased()
        self.encoded = RedisCommand.format(packed: packed, ends: ends)
    }

    private static func format(packed: [UInt8], ends: [Int]) -> [UInt8] {
        let count = ends.count
        var lengths = [Int](repeating: 0, count: count)
        var start = 0
        for (i, end) in ends.enumerated() {
            lengths[i] = end - start
            start = end
        }
        return packed.withUnsafeBufferPointer { base -> [UInt8] in
            var pointers = [UnsafePointer<CChar>?](repeating: nil, count: count)
            var offset = 0
            let raw = UnsafeRawPointer(base.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            for i in 0..<count {
                pointers[i] = (raw + offset).assumingMemoryBound(to: CChar.self)
                offset += lengths[i]
            }
            var target: UnsafeMutablePointer<CChar>?
            let size = pointers.withUnsafeMutableBufferPointer { ptrs in
                lengths.withUnsafeBufferPointer { lens in
                    redisFormatCommandArgv(&target, Int32(count), ptrs.baseAddress, lens.baseAddress)
                }
            }
            guard size > 0, let target else { fatalError("redisFormatCommandArgv failed (out of memory)") }
            defer { redisFreeCommand(target) }
            return target.withMemoryRebound(to: UInt8.self, capacity: Int(size)) {
                Array(UnsafeBufferPointer(start: $0, count: Int(size)))
            }
        }
    }
}
