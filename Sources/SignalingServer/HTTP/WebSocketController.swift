import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import SignalingProtocol

/// The `/ws` route: turns WebSocket frames into messages for a `Session` and drains the connection's outbound
/// queue into the socket. Protocol logic lives in `Session`; this type only knows frames, sizes and sockets.
///
/// Each connection runs two loops: the reader (this handler's own task) and the writer (one child task), so a
/// message is never delayed behind a slow socket write and a client's reads never wait on its own replies.
struct WebSocketController: Sendable {
    let node: SignalingNode

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.ws("/ws") { inbound, outbound, context in
            await handle(inbound: inbound, outbound: outbound, channel: context.requestContext.channel)
        }
    }

    func handle(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let configuration = node.configuration
        let connection = Connection(
            queueLimit: configuration.outboundQueueLimit, queueByteLimit: configuration.outboundQueueBytes,
            logger: node.logger, metrics: node.metrics, closeTransport: { channel.close(promise: nil) })

        switch node.hub.admit(connection) {
        case .admitted:
            break
        case .busy:
            // The upgrade has succeeded; the first frame says why the connection ends (PROTOCOL.md §1).
            node.metrics.connectionsRejected.increment()
            node.metrics.error(.serverBusy)
            let busy = ServerMessage.error(.serverBusy("node is at its connection limit")).encoded()
            try? await outbound.write(.text(busy))
            try? await outbound.close(.init(codeNumber: Int(CloseCode.tryAgainLater)), reason: "server busy")
            connection.logger.notice("connection refused: node is at its connection limit")
            return
        case .draining:
            try? await outbound.close(.init(codeNumber: Int(CloseCode.goingAway)), reason: "server shutting down")
            return
        }
        connection.logger.debug("connection opened")

        let session = Session(connection: connection, node: node)
        let closeHandshakeTimeout = configuration.closeHandshakeTimeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if await Self.write(connection.queue, to: outbound, metrics: node.metrics) {
                    // Our close frame is out. A client that does not answer it within the handshake timeout is cut
                    // off, so a connection never lingers half-closed.
                    do {
                        try await Task.sleep(for: closeHandshakeTimeout)
                        connection.abort()
                    } catch {}
                }
            }
            await read(inbound, into: session)
            // The peer closed (or answered our close), or the socket failed: the writer has nothing left to do.
            connection.queue.finish()
            group.cancelAll()
        }
        await session.disconnected()
        connection.logger.debug("connection closed")
    }

    /// Reads until the peer closes or the socket fails. After the session asks to close, frames are ignored
    /// while the close handshake completes (the writer sends the close frame after the queued `Error`).
    private func read(_ inbound: WebSocketInboundStream, into session: Session) async {
        var assembler = MessageAssembler(maxBytes: node.configuration.maxMessageBytes)
        let clock = ContinuousClock()
        var closing = false
        var sinceYield = 0
        do {
            for try await frame in inbound {
                // Frames already buffered are handed over without suspending, so a client that floods the node
                // would keep this task on its thread; yield now and then so the others get their turn.
                sinceYield += 1
                if sinceYield == 32 {
                    sinceYield = 0
                    await Task.yield()
                }
                if closing || session.connection.queue.isClosing {
                    closing = true
                    continue
                }
                let opcode: MessageAssembler.Opcode =
                    switch frame.opcode {
                    case .text: .text
                    case .binary: .binary
                    case .continuation: .continuation
                    }
                let disposition: Session.Disposition
                switch assembler.push(opcode, fin: frame.fin, data: frame.data) {
                case .incomplete:
                    continue
                case .text(let bytes):
                    disposition = await session.receiveText(bytes, at: clock.now)
                case .binary:
                    disposition = session.receiveBinary(at: clock.now)
                case .tooLarge:
                    disposition = session.receiveOversized()
                case .protocolError:
                    disposition = .close(code: CloseCode.protocolError, reason: "unexpected continuation frame")
                }
                if case .close(let code, let reason) = disposition {
                    session.connection.close(code: code, reason: reason)
                    closing = true
                }
            }
        } catch {
            session.connection.logger.debug("connection failed", metadata: ["error": .string("\(error)")])
        }
    }

    /// Drains the queue into the socket until the queue closes or a write fails. True when it ended by sending a
    /// close frame.
    private static func write(_ queue: OutboundQueue, to outbound: WebSocketOutboundWriter, metrics: NodeMetrics) async
        -> Bool
    {
        func send(_ frames: [OutboundFrame]) async -> Bool {
            for frame in frames {
                do {
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame.bytes)))
                } catch {
                    return false
                }
                metrics.sent(frame.kind)
                if let receivedAt = frame.receivedAt {
                    let elapsed = ContinuousClock.now - receivedAt
                    metrics.relayLatency.recordNanoseconds(
                        elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                }
            }
            return true
        }
        while true {
            switch await queue.next() {
            case .frames(let frames):
                guard await send(frames) else {
                    queue.finish()
                    return false
                }
            case .close(let frames, let code, let reason):
                guard await send(frames) else { return false }
                try? await outbound.close(.init(codeNumber: Int(code)), reason: reason)
                return true
            case .finished:
                return false
            }
        }
    }
}
