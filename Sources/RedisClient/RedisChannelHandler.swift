import NIOCore
import NIOSSL

/// What the connection writes: one or more encoded commands, and who waits for their replies.
struct RedisOutbound {
    var bytes: ByteBuffer
    var waiter: ReplyWaiter
}

/// One request's claim on the reply stream: one reply, or `count` consecutive replies delivered
/// together (a pipelined batch costs one promise, not one per command).
enum ReplyWaiter {
    case one(EventLoopPromise<RESPValue>)
    case many(EventLoopPromise<[RESPValue]>, count: Int)

    func fail(_ error: RedisError) {
        switch self {
        case .one(let p): p.fail(error)
        case .many(let p, _): p.fail(error)
        }
    }
}

/// Matches replies to requests in order (RESP2 answers in the order commands were sent), which is
/// what makes pipelining work: any number of commands may be in flight on one connection.
///
/// On a subscriber connection, `message` and `pmessage` pushes are handed to `onPush` instead of
/// completing a request; subscribe confirmations complete requests like any reply.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisOutbound
    typealias OutboundOut = ByteBuffer

    private let reader = RESPReader()
    private var pending = CircularBuffer<(waiter: ReplyWaiter, sentAt: NIODeadline)>()
    /// Replies gathered so far for the batch at the head of `pending`.
    private var batch: [RESPValue] = []
    private var failure: RedisError?
    private let commandTimeout: TimeAmount?
    private var watchdog: RepeatedTask?
    private let onPush: (@Sendable (RESPValue) -> Void)?
    /// A flush is scheduled for the end of this tick.
    private var flushScheduled = false
    /// On a connection to a Sentinel-managed master: a reply saying the server is no longer (or not yet) a usable
    /// master closes the connection once the reply is delivered, so that the owner reconnects and rediscovers.
    private let dropOnFailoverReplies: Bool

    init(commandTimeout: TimeAmount?, dropOnFailoverReplies: Bool = false, onPush: (@Sendable (RESPValue) -> Void)? = nil) {
        self.commandTimeout = commandTimeout
        self.dropOnFailoverReplies = dropOnFailoverReplies
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let timeout = commandTimeout else { return }
        // One timer per connection instead of one per command: a reply that is overdue means the
        // connection is stuck, and every request behind it is stuck too, so the connection is closed.
        let interval = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 10_000_000))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.checkOverdue(context: context, timeout: timeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdog = nil
        failAll(.connectionLost)
    }

    private func checkOverdue(context: ChannelHandlerContext, timeout: TimeAmount) {
        guard let oldest = pending.first, oldest.sentAt + timeout < .now() else { return }
        failAll(.timeout)
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        if let failure {
            outbound.waiter.fail(failure)
            promise?.fail(failure)
            return
        }
        if case .many(let p, 0) = outbound.waiter {
            p.succeed([])
        } else {
            pending.append((outbound.waiter, .now()))
        }
        context.write(wrapOutboundOut(outbound.bytes), promise: promise)
        // Auto-pipelining: every command written during this tick of the event loop leaves in one flush, once
        // the writes already queued on the loop have run.
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            handler.flushScheduled = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do throws(RedisError) {
            try buffer.withUnsafeReadableBytes { raw in Result { () throws(RedisError) in try reader.feed(raw) } }.get()
            var failover = false
            defer {
                if failover {
                    failAll(.connectionLost)
                    context.close(promise: nil)
                }
            }
            while let reply = try reader.next() {
                if dropOnFailoverReplies, let message = reply.errorMessage, Self.isFailoverReply(message) { failover = true }
                if let onPush, Self.isPush(reply) {
                    onPush(reply)
                } else if let head = pending.first {
                    switch head.waiter {
                    case .one(let p):
                        pending.removeFirst()
                        p.succeed(reply)
                    case .many(let p, let count):
                        if batch.isEmpty { batch.reserveCapacity(count) }
                        batch.append(reply)
                        if batch.count == count {
                            pending.removeFirst()
                            let replies = batch
                            batch = []
                            p.succeed(replies)
                        }
                    }
                } else {
                    throw RedisError.protocolError("reply without a request")
                }
            }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionLost)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A TLS handshake that failed says why; anything else is a lost connection.
        failAll(Self.isTLSError(error) ? .tls(RedisTLSContext.describe(error)) : .connectionLost)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        if failure == nil { failure = error }
        batch = []
        while let head = pending.popFirst() { head.waiter.fail(error) }
    }

    /// READONLY (a demoted master), LOADING (a restarted one still loading), MASTERDOWN (a replica cut off from its
    /// master): the server is not the master to talk to right now.
    static func isFailoverReply(_ message: String) -> Bool {
        message.hasPrefix("READONLY") || message.hasPrefix("LOADING") || message.hasPrefix("MASTERDOWN")
    }

    private static func isTLSError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
    }

    private static func isPush(_ reply: RESPValue) -> Bool {
        guard case .array(let items) = reply, let kind = items.first?.bytes else { return false }
        return kind == messageKind || kind == pmessageKind
    }
}

private let messageKind = Array("message".utf8)
private let pmessageKind = Array("pmessage".utf8)
