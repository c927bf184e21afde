import NIOCore

/// Where a connection's frames go: its WebSocket handler, reached on the channel's event loop.
///
/// Senders on any thread hold this; only `handler` is loop-bound, and it is read and written on
/// `channel.eventLoop` alone (the closures below run there), which is what makes the type safe to share.
final class ChannelSink: @unchecked Sendable {
    let channel: any Channel
    /// Set once the handler is in the pipeline; weak so a closed connection's handler is freed with its channel.
    weak var handler: WebSocketConnectionHandler?

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Asks the event loop to write what `connection` has waiting: at the end of the current tick when called on
    /// the loop, so every frame queued during the tick goes out in one write and one flush.
    func writeSoon(_ connection: Connection) {
        channel.eventLoop.execute {
            self.handler?.writeQueued()
        }
    }

    /// Closes the socket at once, without a close handshake.
    func cut() {
        channel.close(promise: nil)
    }
}

/// Sits first in a WebSocket pipeline so that the node's pre-framed bytes (`ServerFrame`) go straight to the
/// socket, past NIO's `WebSocketFrameEncoder`, which the upgrader installs and which only takes `WebSocketFrame`s.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(_ frame: ByteBuffer) {
        context?.write(NIOAny(frame), promise: nil)
    }

    func flush() {
        context?.flush()
    }
}
