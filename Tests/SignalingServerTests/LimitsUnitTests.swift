import NIOCore
import Testing
@testable import SignalingServer

@Suite("Rate limiter", .timeLimit(.minutes(1)))
struct RateLimiterTests {
    let start = ContinuousClock.now

    @Test func burstThenSustainedRate() {
        var limiter = RateLimiter(ratePerSecond: 50, burst: 100)
        for i in 0..<100 { #expect(limiter.admit(at: start) == .accept, "message \(i)") }
        #expect(limiter.admit(at: start) == .reject)
        // 20 ms later one token has come back (50/s).
        #expect(limiter.admit(at: start + .milliseconds(21)) == .accept)
        #expect(limiter.admit(at: start + .milliseconds(21)) == .reject)
        // Quiet for two seconds: the bucket is full again, never above the burst.
        let later = start + .seconds(3)
        for _ in 0..<100 { #expect(limiter.admit(at: later) == .accept) }
        #expect(limiter.admit(at: later) == .reject)
    }

    @Test func sustainedFloodingClosesAfterThreeSecondsOfRejections() {
        var limiter = RateLimiter(ratePerSecond: 50, burst: 100)
        var t = start
        for _ in 0..<100 { _ = limiter.admit(at: t) }
        // 1,000 messages per second: rejections keep coming, each well within 1 s of the previous.
        var closedAt: Duration?
        for _ in 0..<5000 {
            t = t + .milliseconds(1)
            if limiter.admit(at: t) == .rejectAndClose {
                closedAt = t - start
                break
            }
        }
        let elapsed = try! #require(closedAt)
        #expect(elapsed >= .seconds(3) && elapsed < .milliseconds(3100))
    }

    @Test func aPauseOfMoreThanASecondResetsTheStreak() {
        var limiter = RateLimiter(ratePerSecond: 1, burst: 1)
        var t = start
        #expect(limiter.admit(at: t) == .accept)
        // Rejected every 0.5 s for 2.5 s …
        for _ in 0..<5 {
            t = t + .milliseconds(100)
            #expect(limiter.admit(at: t) != .rejectAndClose)
            t = t + .milliseconds(100)
            _ = limiter.admit(at: t)
        }
        // … then 1.5 s of silence (tokens come back), and a new streak starts from zero.
        t = t + .milliseconds(1500)
        #expect(limiter.admit(at: t) == .accept)
        var decisions: [RateLimiter.Decision] = []
        for _ in 0..<25 {
            t = t + .milliseconds(100)
            decisions.append(limiter.admit(at: t))
        }
        #expect(!decisions.contains(.rejectAndClose))
    }
}

@Suite("Connection outbox", .timeLimit(.minutes(1)))
struct ConnectionOutboxTests {
    func connection(limit: Int, bytes: Int) -> Connection {
        Connection(queueLimit: limit, queueByteLimit: bytes, logger: testLogger, metrics: NodeMetrics())
    }

    func frame(_ size: Int = 10) -> ByteBuffer {
        ByteBuffer(repeating: 0x41, count: size)
    }

    @Test func overflowByCountCutsTheConnectionOff() {
        let c = connection(limit: 3, bytes: 1 << 20)
        #expect(c.send(frame(), kind: .offer))
        #expect(c.send(frame(), kind: .offer))
        #expect(c.send(frame(), kind: .offer))
        #expect(!c.send(frame(), kind: .offer))
        #expect(!c.send(frame(), kind: .offer))
        #expect(c.queuedCount == 0, "dropped on overflow: memory is released at once")
        #expect(c.isClosing)
        #expect(c.takeBatch() == nil)
    }

    @Test func overflowByBytes() {
        let c = connection(limit: 100, bytes: 100)
        #expect(c.send(frame(60), kind: .offer))
        #expect(!c.send(frame(60), kind: .offer))
        #expect(c.isClosing)
    }

    @Test func theCloseFrameFollowsTheQueuedFramesAndEndsTheOutbox() {
        let c = connection(limit: 10, bytes: 1 << 20)
        c.send(frame(), kind: .offer)
        c.send(frame(), kind: .offer)
        c.close(code: 1008, reason: "flood")
        c.close(code: 1001, reason: "only the first close counts")
        #expect(!c.send(frame(), kind: .offer))
        guard let batch = c.takeBatch(), let close = batch.close else { Issue.record("expected close"); return }
        #expect(batch.frames.count == 2)
        #expect(close.code == 1008)
        #expect(c.takeBatch() == nil)
    }

    @Test func framesAreTakenInOrderAndOnce() {
        let c = connection(limit: 10, bytes: 1 << 20)
        for size in [3, 5, 7] { c.send(frame(size), kind: .offer) }
        #expect(c.takeBatch()?.frames.map(\.bytes.readableBytes) == [3, 5, 7])
        #expect(c.takeBatch() == nil)
        c.send(frame(9), kind: .answer)
        #expect(c.takeBatch()?.frames.map(\.bytes.readableBytes) == [9])
    }
}

@Suite("Message reassembly and the size limit", .timeLimit(.minutes(1)))
struct MessageAssemblerTests {
    func bytes(_ n: Int) -> ByteBuffer { ByteBuffer(repeating: 0x61, count: n) }

    @Test func singleFrames() {
        var assembler = MessageAssembler(maxBytes: 100)
        #expect(assembler.push(.text, fin: true, data: bytes(100)) == .text(bytes(100)))
        #expect(assembler.push(.text, fin: true, data: bytes(101)) == .tooLarge)
        #expect(assembler.push(.binary, fin: true, data: bytes(5)) == .binary)
        #expect(assembler.push(.binary, fin: true, data: bytes(101)) == .tooLarge)
    }

    @Test func sizeCountsTheWholeReassembledMessage() {
        var assembler = MessageAssembler(maxBytes: 100)
        #expect(assembler.push(.text, fin: false, data: bytes(60)) == .incomplete)
        #expect(assembler.push(.continuation, fin: true, data: bytes(40)) == .text(bytes(100)))
        #expect(assembler.push(.text, fin: false, data: bytes(60)) == .incomplete)
        #expect(assembler.push(.continuation, fin: false, data: bytes(41)) == .tooLarge)
        #expect(assembler.push(.binary, fin: false, data: bytes(60)) == .incomplete)
        #expect(assembler.push(.continuation, fin: true, data: bytes(41)) == .tooLarge)
    }

    @Test func framesOutOfSequence() {
        var assembler = MessageAssembler(maxBytes: 100)
        #expect(assembler.push(.continuation, fin: true, data: bytes(1)) == .protocolError)
        #expect(assembler.push(.text, fin: false, data: bytes(1)) == .incomplete)
        #expect(assembler.push(.text, fin: true, data: bytes(1)) == .protocolError)
    }
}
