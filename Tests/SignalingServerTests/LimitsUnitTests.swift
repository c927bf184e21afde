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

@Suite("Outbound queue", .timeLimit(.minutes(1)))
struct OutboundQueueTests {
    func frame(_ size: Int = 10) -> OutboundFrame {
        OutboundFrame(bytes: ByteBuffer(repeating: 0x41, count: size), kind: .offer, receivedAt: nil)
    }

    @Test func overflowByCountClosesTheQueue() async {
        let queue = OutboundQueue(limit: 3, byteLimit: 1 << 20)
        #expect(queue.enqueue(frame()) == .queued)
        #expect(queue.enqueue(frame()) == .queued)
        #expect(queue.enqueue(frame()) == .queued)
        #expect(queue.enqueue(frame()) == .overflow)
        #expect(queue.enqueue(frame()) == .closed)
        #expect(queue.count == 0, "dropped on overflow: memory is released at once")
        guard case .finished = await queue.next() else { Issue.record("expected finished"); return }
    }

    @Test func overflowByBytes() {
        let queue = OutboundQueue(limit: 100, byteLimit: 100)
        #expect(queue.enqueue(frame(60)) == .queued)
        #expect(queue.enqueue(frame(60)) == .overflow)
    }

    @Test func batchesThenCloseAfterQueuedFrames() async {
        let queue = OutboundQueue(limit: 10, byteLimit: 1 << 20)
        queue.enqueue(frame())
        queue.enqueue(frame())
        queue.close(code: 1008, reason: "flood")
        #expect(queue.enqueue(frame()) == .closed)
        guard case .close(let frames, let code, _) = await queue.next() else { Issue.record("expected close"); return }
        #expect(frames.count == 2)
        #expect(code == 1008)
        guard case .finished = await queue.next() else { Issue.record("expected finished"); return }
    }

    @Test func aWaitingWriterIsWoken() async {
        let queue = OutboundQueue(limit: 10, byteLimit: 1 << 20)
        async let batch = queue.next()
        try? await Task.sleep(for: .milliseconds(20))
        queue.enqueue(frame(7))
        guard case .frames(let frames) = await batch else { Issue.record("expected frames"); return }
        #expect(frames.map(\.bytes.readableBytes) == [7])
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
