import NIOCore
import SignalingProtocol
import Synchronization

/// One frame waiting to go to a client.
public struct OutboundFrame: Sendable {
    public var bytes: ByteBuffer
    /// For the messages-out metric.
    public var kind: ServerMessageKind
    /// When the relayed message arrived at the node, for the relay latency histogram; nil for everything else.
    public var receivedAt: ContinuousClock.Instant?
}

/// The bounded queue between the node and one client's socket.
///
/// Producers (the client's own session, other connections relaying to it, the cluster layer) never wait: `enqueue`
/// appends under a lock and wakes the single consumer, the connection's writer. A client that stops reading
/// stalls its writer on socket back-pressure; once `limit` messages or `byteLimit` bytes are waiting, `enqueue`
/// reports an overflow and the connection is cut, so the node's memory stays flat whatever a client does.
public final class OutboundQueue: Sendable {
    public enum EnqueueResult: Sendable, Equatable {
        case queued
        /// The queue is closed (the connection is closing); the frame was dropped.
        case closed
        /// This frame would exceed the limits: the queue is now closed and the client must be disconnected.
        case overflow
    }

    /// What the writer gets next.
    public enum Batch: Sendable {
        case frames([OutboundFrame])
        /// Send these frames, then a close frame with this code and reason, then stop.
        case close([OutboundFrame], code: UInt16, reason: String)
        /// The connection is gone: stop without writing.
        case finished
    }

    private struct State: ~Copyable {
        var frames: [OutboundFrame] = []
        var bytes = 0
        var close: (code: UInt16, reason: String)?
        var finished = false
        var waiter: CheckedContinuation<Batch, Never>?
    }

    public let limit: Int
    public let byteLimit: Int
    private let state = Mutex(State())

    public init(limit: Int, byteLimit: Int) {
        self.limit = limit
        self.byteLimit = byteLimit
    }

    /// Adds a frame for the writer. Never suspends.
    @discardableResult
    public func enqueue(_ frame: OutboundFrame) -> EnqueueResult {
        let (result, wake) = state.withLock { state -> (EnqueueResult, CheckedContinuation<Batch, Never>?) in
            guard state.close == nil, !state.finished else { return (.closed, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.queued, waiter)
            }
            guard state.frames.count < limit, state.bytes + frame.bytes.readableBytes <= byteLimit else {
                state.finished = true
                state.frames = []
                state.bytes = 0
                return (.overflow, nil)
            }
            state.frames.append(frame)
            state.bytes += frame.bytes.readableBytes
            return (.queued, nil)
        }
        wake?.resume(returning: .frames([frame]))
        return result
    }

    /// Queues a close frame after what is already waiting; later frames are dropped. Only the first close counts.
    public func close(code: UInt16, reason: String) {
        let wake = state.withLock { state -> CheckedContinuation<Batch, Never>? in
            guard state.close == nil, !state.finished else { return nil }
            state.close = (code, reason)
            guard let waiter = state.waiter else { return nil }
            // The writer is idle, so nothing is waiting: it gets the close now and is done afterwards.
            state.waiter = nil
            state.finished = true
            return waiter
        }
        wake?.resume(returning: .close([], code: code, reason: reason))
    }

    /// Drops everything and wakes the writer with `.finished`: the socket is gone.
    public func finish() {
        let wake = state.withLock { state -> CheckedContinuation<Batch, Never>? in
            state.finished = true
            state.frames = []
            state.bytes = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        wake?.resume(returning: .finished)
    }

    /// Whether a close or finish has been requested: the connection will take no more frames.
    public var isClosing: Bool {
        state.withLock { $0.close != nil || $0.finished }
    }

    /// Messages waiting (for tests and metrics).
    public var count: Int { state.withLock { $0.frames.count } }

    /// Everything waiting, as one batch; suspends while the queue is empty. One consumer only.
    public func next() async -> Batch {
        if let ready = state.withLock({ state in Self.take(&state) }) { return ready }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Batch? in
                if let ready = Self.take(&state) { return ready }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func take(_ state: inout State) -> Batch? {
        if state.finished { return .finished }
        if !state.frames.isEmpty || state.close != nil {
            let frames = state.frames
            state.frames = []
            state.bytes = 0
            if let close = state.close {
                // The close is handed out once; afterwards the writer is done.
                state.finished = true
                return .close(frames, code: close.code, reason: close.reason)
            }
            return .frames(frames)
        }
        return nil
    }
}
