import Foundation
import Logging
import NIOCore
import SignalingProtocol
import Synchronization

/// One frame waiting to go to a client: the whole WebSocket frame, header included (`ServerFrame`).
public struct OutboundFrame: Sendable {
    public var bytes: ByteBuffer
    /// For the messages-out metric.
    public var kind: ServerMessageKind
    /// When the relayed message arrived at the node, for the relay latency histogram; nil for everything else.
    public var receivedAt: ContinuousClock.Instant?
}

/// The node's handle on one client connection: its id, the frames waiting for its socket, and a way to cut it off.
///
/// Anyone may send to a connection (its own session, a room-mate's relay on another event loop, the cluster layer);
/// sending only appends to a small outbox under the connection's own lock and, for the first frame of a tick, asks
/// the connection's event loop to write. That loop then writes everything waiting and flushes once, so a burst of
/// relays to one client costs one system call, and no sender ever touches another connection's channel. The outbox
/// lock is the innermost lock of the node: nothing is called while it is held, so senders may hold theirs (the
/// room hub's) while sending, which keeps one sender's messages in the order they were routed.
public final class Connection: Sendable {
    /// Fixed for the connection's life; the `connection_id` of the cluster's records.
    public let id: UUID
    let logger: Logger
    /// Frames that may wait in the outbox between two writes; a client whose socket is not writable keeps them
    /// there, so past this it is cut off (`OUTBOUND_QUEUE_LIMIT`).
    let limit: Int
    /// Bytes that may wait in the outbox (`OUTBOUND_QUEUE_BYTES`; the channel's write buffer has the same bound).
    let byteLimit: Int
    private let metrics: NodeMetrics
    /// Nil for connections without a socket (unit tests): frames then stay in the outbox for the test to read.
    private let sink: ChannelSink?
    private let outbox = Mutex(Outbox())

    private struct Outbox: ~Copyable {
        var frames: [OutboundFrame] = []
        var bytes = 0
        /// A write has been asked of the event loop and has not run yet.
        var writeScheduled = false
        /// The close frame to send after `frames`, once asked for.
        var close: (code: UInt16, reason: String)?
        var closeTaken = false
        /// Cut off or closed: nothing more is accepted.
        var finished = false
    }

    /// What the event loop writes next.
    struct Batch {
        var frames: [OutboundFrame]
        /// Send a close frame after the frames.
        var close: (code: UInt16, reason: String)?
    }

    init(
        id: UUID = UUID(), queueLimit: Int, queueByteLimit: Int, logger: Logger, metrics: NodeMetrics,
        sink: ChannelSink? = nil
    ) {
        self.id = id
        self.limit = queueLimit
        self.byteLimit = queueByteLimit
        var logger = logger
        logger[metadataKey: "connection.id"] = .string(id.uuidString)
        self.logger = logger
        self.metrics = metrics
        self.sink = sink
    }

    /// Queues `message`. False when the connection is closing or was just cut off for not reading.
    @discardableResult
    func send(_ message: ServerMessage, receivedAt: ContinuousClock.Instant? = nil) -> Bool {
        if case .error(let error) = message {
            metrics.error(error.code)
            logger.debug(
                "error sent", metadata: ["error.code": .string(error.code.rawValue), "error.message": .string(error.message)])
        }
        return send(Self.encode(message), kind: ServerMessageKind(message), receivedAt: receivedAt)
    }

    /// Queues an already framed message (one frame shared by every recipient of a room-wide event).
    @discardableResult
    func send(_ frame: ByteBuffer, kind: ServerMessageKind, receivedAt: ContinuousClock.Instant? = nil) -> Bool {
        enum Result { case queued, scheduleWrite, closed, overflow }
        let result = outbox.withLock { outbox -> Result in
            guard outbox.close == nil, !outbox.finished else { return .closed }
            guard outbox.frames.count < limit, outbox.bytes + frame.readableBytes <= byteLimit else {
                outbox.finished = true
                outbox.frames = []
                outbox.bytes = 0
                return .overflow
            }
            outbox.frames.append(OutboundFrame(bytes: frame, kind: kind, receivedAt: receivedAt))
            outbox.bytes += frame.readableBytes
            if outbox.writeScheduled { return .queued }
            outbox.writeScheduled = true
            return .scheduleWrite
        }
        switch result {
        case .queued:
            return true
        case .scheduleWrite:
            sink?.writeSoon(self)
            return true
        case .closed:
            return false
        case .overflow:
            cutOffSlowConsumer()
            return false
        }
    }

    /// Sends the close frame after everything already queued; later messages are dropped. Only the first close
    /// counts.
    func close(code: UInt16, reason: String) {
        let schedule = outbox.withLock { outbox -> Bool in
            guard outbox.close == nil, !outbox.finished else { return false }
            outbox.close = (code, reason)
            if outbox.writeScheduled { return false }
            outbox.writeScheduled = true
            return true
        }
        if schedule { sink?.writeSoon(self) }
    }

    /// Cuts the connection now: no close frame, queued messages dropped.
    func abort() {
        finish()
        sink?.cut()
    }

    /// The client stopped reading: its frames have filled the outbox or the channel's write buffer.
    func cutOffSlowConsumer() {
        metrics.slowConsumerDisconnects.increment()
        logger.warning(
            "client does not read; disconnecting",
            metadata: ["queue.limit": .stringConvertible(limit), "queue.bytes": .stringConvertible(byteLimit)])
        abort()
    }

    /// The socket is gone: drop what waits and take nothing more.
    func finish() {
        outbox.withLock { outbox in
            outbox.finished = true
            outbox.frames = []
            outbox.bytes = 0
        }
    }

    /// Whether a close or a cut-off has been asked for: the connection takes no more frames.
    var isClosing: Bool {
        outbox.withLock { $0.close != nil || $0.finished }
    }

    /// Frames waiting (tests).
    var queuedCount: Int { outbox.withLock { $0.frames.count } }

    /// Everything waiting, for the event loop to write (or a test to read). Nil when there is nothing to do.
    func takeBatch() -> Batch? {
        outbox.withLock { outbox -> Batch? in
            outbox.writeScheduled = false
            guard !outbox.finished else { return nil }
            var batch = Batch(frames: [])
            if !outbox.frames.isEmpty {
                swap(&batch.frames, &outbox.frames)
                outbox.bytes = 0
            }
            if let close = outbox.close, !outbox.closeTaken {
                outbox.closeTaken = true
                outbox.finished = true
                batch.close = close
            }
            return batch.frames.isEmpty && batch.close == nil ? nil : batch
        }
    }

    /// Counts a frame as sent (called by the writer as it hands the frame to the socket).
    func count(_ frame: OutboundFrame) {
        metrics.sent(frame.kind)
        if let receivedAt = frame.receivedAt {
            let elapsed = ContinuousClock.now - receivedAt
            metrics.relayLatency.recordNanoseconds(
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
    }

    /// `message` as a complete text frame.
    static func encode(_ message: ServerMessage) -> ByteBuffer {
        ServerFrame.make(.text, payload: message.encodedBytes())
    }
}

/// The WebSocket close codes the node uses (RFC 6455 §7.4 and PROTOCOL.md §1).
public enum CloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooLarge: UInt16 = 1009
    public static let tryAgainLater: UInt16 = 1013
    /// Application-defined: the same user connected again elsewhere.
    public static let replaced: UInt16 = 4000
}
