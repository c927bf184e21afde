import Foundation
import NIOCore
import NIOWebSocket
import SignalingProtocol

/// Serves one WebSocket connection on its event loop: RFC 6455 framing rules, control frames, the close handshake,
/// message reassembly, and hand-off of complete text messages to the connection's `Session`.
///
/// No task and no actor per connection: a message that stays on the node (a local relay, an error) is decided and
/// queued on this event loop, synchronously. A message that needs the cluster or another async step (a join, a
/// relay to another node) runs as one short task while this handler holds back the connection's later messages,
/// so a client's messages are still handled strictly in order.
final class WebSocketConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let connection: Connection
    private let session: Session
    private let node: SignalingNode
    private let writer: RawFrameWriter
    private let liveness: LoopLiveness?
    private var context: ChannelHandlerContext?
    private var assembler: MessageAssembler

    // Close handshake.
    private var closeSent = false
    private var closeReceived = false
    /// A protocol failure: the socket closes right after our close frame, without waiting for the client's.
    private var failing = false
    private var closeTimer: Scheduled<Void>?

    // Liveness: whether anything arrived since the last ping, and whether that ping is still unanswered.
    private var heardSincePing = true
    private var pingOutstanding = false

    // Ordering: messages that arrived while an async step of the session was running.
    private var busy = false
    /// An array, not a ring buffer: empty (no allocation) on every idle connection.
    private var held: [(bytes: ByteBuffer, at: ContinuousClock.Instant)] = []
    private var readsPaused = false
    private var disconnected = false
    private let clock = ContinuousClock()

    /// More held messages than this and the handler stops reading the socket until the session catches up.
    private static let heldBeforePause = 16

    init(connection: Connection, session: Session, node: SignalingNode, writer: RawFrameWriter, liveness: LoopLiveness?) {
        self.connection = connection
        self.session = session
        self.node = node
        self.writer = writer
        self.liveness = liveness
        self.assembler = MessageAssembler(maxBytes: node.configuration.maxMessageBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        liveness?.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        liveness?.remove(self)
        closeTimer?.cancel()
        self.context = nil
    }

    // MARK: Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        heardSincePing = true
        guard !failing else { return }
        // RFC 6455 §5.2: no extension is negotiated, so every reserved bit must be clear; §5.1: clients mask.
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return fail(CloseCode.protocolError, "reserved bits set")
        }
        guard let maskKey = frame.maskKey else {
            return fail(CloseCode.protocolError, "client frames must be masked")
        }
        var payload = frame.data
        payload.webSocketUnmask(maskKey)
        switch frame.opcode {
        case .ping:
            guard !closeSent else { return }
            writer.write(ServerFrame.make(.pong, payload: payload.readableBytesView))
        case .pong:
            pingOutstanding = false
        case .connectionClose:
            receivedClose(payload)
        case .text, .binary, .continuation:
            guard !closeSent, !connection.isClosing else { return }
            dataFrame(frame.opcode, fin: frame.fin, payload)
        default:
            fail(CloseCode.protocolError, "reserved opcode")
        }
    }

    private func dataFrame(_ opcode: WebSocketOpcode, fin: Bool, _ payload: ByteBuffer) {
        let kind: MessageAssembler.Opcode =
            switch opcode {
            case .text: .text
            case .binary: .binary
            default: .continuation
            }
        let now = clock.now
        switch assembler.push(kind, fin: fin, data: payload) {
        case .incomplete:
            return
        case .text(let bytes):
            let valid = bytes.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
            guard valid else { return fail(CloseCode.invalidPayload, "text message is not valid UTF-8") }
            if busy || !held.isEmpty {
                hold(bytes, at: now)
            } else {
                handle(bytes, at: now)
            }
        case .binary:
            apply(session.receiveBinary(at: now))
        case .tooLarge:
            apply(session.receiveOversized())
        case .protocolError:
            fail(CloseCode.protocolError, "unexpected continuation frame")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The end of this connection's reads for the tick: write what the session queued and flush once.
        writeQueued()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error as? NIOWebSocketError {
        case .invalidFrameLength:
            apply(session.receiveOversized())
            failing = true
            writeQueued()
        case .fragmentedControlFrame:
            fail(CloseCode.protocolError, "fragmented control frame")
        case .multiByteControlFrameLength:
            fail(CloseCode.protocolError, "control frame longer than 125 bytes")
        case nil:
            connection.logger.debug("connection failed", metadata: ["error": .string("\(error)")])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client half-closed without a close frame: nothing more will come.
            context.close(promise: nil)
            return
        }
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down (the node's drain normally closed this connection already).
            connection.close(code: CloseCode.goingAway, reason: "server shutting down")
            writeQueued()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The channel's write buffer passed OUTBOUND_QUEUE_BYTES: the client is not reading.
        if !context.channel.isWritable, !closeSent { connection.cutOffSlowConsumer() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.finish()
        closeTimer?.cancel()
        disconnected = true
        if !busy { leaveNode() }
        context.fireChannelInactive()
    }

    // MARK: Messages and the session

    private func handle(_ bytes: ByteBuffer, at receivedAt: ContinuousClock.Instant) {
        switch session.receiveText(bytes, at: receivedAt) {
        case .done(let disposition):
            apply(disposition)
        case .later(let step):
            guard let loop = context?.eventLoop else { return }
            busy = true
            let handler = NIOLoopBound(self, eventLoop: loop)
            Task {
                let disposition = await step()
                loop.execute { handler.value.stepFinished(disposition) }
            }
        }
    }

    private func hold(_ bytes: ByteBuffer, at receivedAt: ContinuousClock.Instant) {
        held.append((bytes, receivedAt))
        if held.count > Self.heldBeforePause, !readsPaused, let context {
            readsPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    private func stepFinished(_ disposition: Session.Disposition) {
        busy = false
        apply(disposition)
        while !busy, !disconnected, !held.isEmpty {
            let next = held.removeFirst()
            guard !connection.isClosing else {
                held.removeAll()
                break
            }
            handle(next.bytes, at: next.at)
        }
        if disconnected {
            if !busy { leaveNode() }
            return
        }
        if !busy, readsPaused, let context {
            readsPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
        writeQueued()
    }

    private func apply(_ disposition: Session.Disposition) {
        if case .close(let code, let reason) = disposition {
            connection.close(code: code, reason: reason)
        }
    }

    /// The socket is gone: the session's implicit `Leave`, once its last async step is over.
    private func leaveNode() {
        held.removeAll()
        guard let step = session.disconnected() else { return }
        Task { await step() }
    }

    // MARK: Writing

    /// Writes what the connection has waiting, and flushes once.
    func writeQueued() {
        guard let batch = connection.takeBatch() else {
            writer.flush()
            return
        }
        for frame in batch.frames {
            writer.write(frame.bytes)
            connection.count(frame)
        }
        if let close = batch.close {
            writer.write(ServerFrame.close(code: close.code, reason: close.reason))
            closeSent = true
        }
        writer.flush()
        if batch.close != nil { closeWritten() }
    }

    private func closeWritten() {
        guard let context else { return }
        if closeReceived || failing {
            // The handshake is complete (or the connection has failed): the server closes the TCP connection.
            context.close(promise: nil)
            return
        }
        // A client that does not answer our close within the handshake timeout is cut off, so a connection never
        // lingers half-closed.
        let timeout = node.configuration.closeHandshakeTimeout
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.close(promise: nil)
        }
    }

    /// RFC 6455 §7.1.7, "Fail the WebSocket Connection": a close frame with `code`, then the socket closes.
    private func fail(_ code: UInt16, _ reason: String) {
        failing = true
        connection.logger.debug("protocol error; closing", metadata: ["close.code": .stringConvertible(code), "reason": .string(reason)])
        connection.close(code: code, reason: reason)
        writeQueued()
        if closeSent == false { context?.close(promise: nil) }
    }

    /// The client's close frame: echo its code (or refuse a malformed one), then close the socket.
    private func receivedClose(_ payload: ByteBuffer) {
        if closeSent {
            context?.close(promise: nil)
            return
        }
        closeReceived = true
        let reply: UInt16
        switch payload.readableBytes {
        case 0:
            reply = CloseCode.normal
        case 1:
            reply = CloseCode.protocolError
        default:
            let code = payload.getInteger(at: payload.readerIndex, as: UInt16.self)!
            let reasonValid = payload.withUnsafeReadableBytes { UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: $0.dropFirst(2))) }
            if !reasonValid {
                reply = CloseCode.invalidPayload
            } else if Self.isValidReceivedCloseCode(code) {
                reply = code
            } else {
                reply = CloseCode.protocolError
            }
        }
        connection.close(code: reply, reason: "")
        writeQueued()
        if !closeSent { context?.close(promise: nil) }
    }

    /// RFC 6455 §7.4: the codes an endpoint may send (1005, 1006 and 1015 are only ever reported locally).
    static func isValidReceivedCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: true
        case 3000...4999: true
        default: false
        }
    }

    // MARK: Liveness

    /// Called by the event loop's liveness task once per ping interval: a connection that stayed silent since the
    /// previous ping is closed (1001); the others get the shared ping frame.
    func livenessTick(ping: ByteBuffer) {
        guard !closeSent, !connection.isClosing else { return }
        if pingOutstanding, !heardSincePing {
            connection.logger.debug("no pong within the ping interval; closing")
            connection.close(code: CloseCode.goingAway, reason: "ping timeout")
            writeQueued()
            return
        }
        heardSincePing = false
        pingOutstanding = true
        writer.write(ping)
        writer.flush()
    }
}
