import Testing
@testable import RedisClient

@Suite("RESP reader")
struct RESPReaderTests {
    /// A reply stream that covers every RESP2 type, nesting, nulls and binary bulk strings.
    static let stream: [UInt8] = Array(
        ("+OK\r\n" + "-ERR wrong\r\n" + ":-42\r\n" + "$-1\r\n" + "*-1\r\n" + "$0\r\n\r\n"
            + "*3\r\n*2\r\n:1\r\n$1\r\na\r\n$-1\r\n*1\r\n*0\r\n").utf8)
        + Array("$6\r\n".utf8) + [0, 13, 10, 255, 65, 0] + Array("\r\n".utf8)

    static let expected: [RESPValue] = [
        .simpleString("OK"), .error("ERR wrong"), .integer(-42), .null, .null, .bulkString([]),
        .array([.array([.integer(1), .bulkString([97])]), .null, .array([.array([])])]),
        .bulkString([0, 13, 10, 255, 65, 0]),
    ]

    private func parse(_ chunks: [ArraySlice<UInt8>]) throws -> [RESPValue] {
        let reader = RESPReader()
        var out: [RESPValue] = []
        for chunk in chunks {
            try reader.feed(Array(chunk))
            while let reply = try reader.next() { out.append(reply) }
        }
        return out
    }

    @Test func wholeBuffer() throws {
        #expect(try parse([Self.stream[...]]) == Self.expected)
    }

    @Test func oneByteAtATime() throws {
        let chunks = Self.stream.indices.map { Self.stream[$0...$0] }
        #expect(try parse(chunks) == Self.expected)
    }

    @Test(arguments: 0..<20)
    func randomChunks(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed))
        var chunks: [ArraySlice<UInt8>] = []
        var i = 0
        while i < Self.stream.count {
            let n = Int(rng.next() % 7) + 1
            let end = min(i + n, Self.stream.count)
            chunks.append(Self.stream[i..<end])
            i = end
        }
        #expect(try parse(chunks) == Self.expected)
    }

    @Test func incompleteReplyWaitsForMoreBytes() throws {
        let reader = RESPReader()
        try reader.feed(Array("$5\r\nhel".utf8))
        #expect(try reader.next() == nil)
        try reader.feed(Array("lo\r\n".utf8))
        #expect(try reader.next() == .bulkString(Array("hello".utf8)))
    }

    @Test func garbageIsAProtocolError() throws {
        let reader = RESPReader()
        try? reader.feed(Array("?what\r\n".utf8))
        #expect(throws: RedisError.self) { _ = try reader.next() }
    }

    @Test func encoderIsBinarySafe() {
        let command = RedisCommand("SET", "k", [0, 13, 10] as [UInt8])
        #expect(command.encoded == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n".utf8) + [0, 13, 10] + Array("\r\n".utf8))
        #expect(command.name == "SET")
    }
}

/// A small deterministic generator so that failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E3779B97F4A7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
