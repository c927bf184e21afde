import Foundation
import Logging
import NIOCore
import SignalingProtocol

/// The node's handle on one client connection: its id, its bounded outbound queue, and a way to cut it off.
///
/// Anyone may send to a connection (its own session, a room-mate's relay, the cluster layer); sending only queues.
/// The WebSocket layer owns the socket and drains the queue (`WebSocketController`).
public final class Connection: Sendable {
    /// Fixed for the connection's life; the `connection_id` of the cluster's records.
    public let id: UUID
    let queue: OutboundQueue
    let logger: Logger
    private let metrics: NodeMetrics
    private let closeTransport: @Sendable () -> Void

    /// - Parameter closeTransport: closes the socket at once, without a close handshake (for clients that do not
    ///   read, whose close frame could never be written).
    init(
        id: UUID = UUID(), queueLimit: Int, queueByteLimit: Int, logger: Logger, metrics: NodeMetrics,
        closeTransport: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.queue = OutboundQueue(limit: queueLimit, byteLimit: queueByteLimit)
        var logger = logger
        logger[metadataKey: "connection.id"] = .string(id.uuidString)
        self.logger = logger
        self.metrics = metrics
        self.closeTransport = closeTransport
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

    /// Queues an already encoded message (one encoding shared by every recipient of a room-wide event).
    @discardableResult
    func send(_ bytes: ByteBuffer, kind: ServerMessageKind, receivedAt: ContinuousClock.Instant? = nil) -> Bool {
        switch queue.enqueue(OutboundFrame(bytes: bytes, kind: kind, receivedAt: receivedAt)) {
        case .queued:
            return true
        case .closed:
            return false
        case .overflow:
            metrics.slowConsumerDisconnects.increment()
            logger.warning(
                "client does not read; disconnecting",
                metadata: ["queue.limit": .stringConvertible(queue.limit), "queue.bytes": .stringConvertible(queue.byteLimit)])
            closeTransport()
            return false
        }
    }

    /// Sends the close frame after everything already queued; later messages are dropped.
    func close(code: UInt16, reason: String) {
        queue.close(code: code, reason: reason)
    }

    /// Cuts the connection now: no close frame, queued messages dropped.
    func abort() {
        queue.finish()
        closeTransport()
    }

    static func encode(_ message: ServerMessage) -> ByteBuffer {
        ByteBuffer(bytes: message.encodedBytes())
    }
}

/// The WebSocket close codes the node uses (RFC 6455 §7.4 and PROTOCOL.md §1).
public enum CloseCode {
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let policyViolation: UInt16 = 1008
    public static let messageTooLarge: UInt16 = 1009
    public static let tryAgainLater: UInt16 = 1013
    /// Application-defined: the same user connected again elsewhere.
    public static let replaced: UInt16 = 4000
}
