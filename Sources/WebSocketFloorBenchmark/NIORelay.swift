import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SignalingProtocol

/// `BareRelay` on SwiftNIO's own WebSocket upgrader and one channel handler, with no async/await: each frame is
/// handled on its socket's event loop and written straight to the target's channel (on the target's loop).
enum NIORelay {
    static func run(port: Int) async throws {
        let relay = BareRelay<any Channel>(send: { channel, frame in
            let frame = WebSocketFrame(fin: true, opcode: .text, data: frame)
            if channel.eventLoop.inEventLoop {
                channel.writeAndFlush(frame, promise: nil)
            } else {
                channel.eventLoop.execute { channel.writeAndFlush(frame, promise: nil) }
            }
        })
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 16,
            shouldUpgrade: { channel, head in channel.eventLoop.makeSucceededFuture(head.uri == "/ws" ? HTTPHeaders() : nil) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayHandler(relay: relay, user: relay.connect(channel)))
                }
            })
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: port).get()
        try await server.closeFuture.get()
    }

    final class RelayHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let relay: BareRelay<any Channel>
        let user: UserID

        init(relay: BareRelay<any Channel>, user: UserID) {
            self.relay = relay
            self.user = user
        }

        func channelInactive(context: ChannelHandlerContext) {
            relay.disconnect(user)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                relay.received(frame.unmaskedData, from: user)
            case .connectionClose:
                var reply = frame.unmaskedData
                let code = reply.readSlice(length: min(2, reply.readableBytes)) ?? ByteBuffer()
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
                    .whenComplete { _ in channel.close(promise: nil) }
            case .ping:
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
            default:
                break
            }
        }
    }
}
