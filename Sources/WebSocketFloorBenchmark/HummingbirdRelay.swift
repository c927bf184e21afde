import Hummingbird
import Logging
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import SignalingProtocol

/// `BareRelay` behind Hummingbird's WebSocket API, built the way the node uses it: each connection's inbound
/// frames in a `for await` loop, and a writer task draining that connection's queue into its outbound writer.
enum HummingbirdRelay {
    /// The same relay, but frames to a client are written straight to its channel (no writer task, no async
    /// outbound writer): what the outbound half of Hummingbird's async API costs. Reads stay the async loop.
    static func runDirect(port: Int) async throws {
        let relay = BareRelay<any Channel>(send: { channel, frame in
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: frame), promise: nil)
        })
        let router = Router(context: DirectContext.self)
        router.ws("/ws") { inbound, _, context in
            let user = relay.connect(context.requestContext.channel)
            do {
                for try await frame in inbound where frame.opcode == .text { relay.received(frame.data, from: user) }
            } catch {}
            relay.disconnect(user)
        }
        try await serve(router, port: port)
    }

    /// Hummingbird's basic WebSocket context plus the connection's channel, as the node's context has.
    struct DirectContext: RequestContext, WebSocketRequestContext {
        var coreContext: CoreRequestContextStorage
        let webSocket: WebSocketHandlerReference<Self>
        let channel: any Channel
        init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
            self.webSocket = .init()
            self.channel = source.channel
        }
    }

    static func run(port: Int) async throws {
        let relay = BareRelay<AsyncStream<ByteBuffer>.Continuation>(send: { queue, frame in queue.yield(frame) })
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/ws") { inbound, outbound, _ in
            let (frames, queue) = AsyncStream<ByteBuffer>.makeStream()
            let user = relay.connect(queue)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await frame in frames {
                        do { try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame))) } catch { break }
                    }
                }
                do {
                    for try await frame in inbound where frame.opcode == .text { relay.received(frame.data, from: user) }
                } catch {}
                queue.finish()
            }
            relay.disconnect(user)
        }
        try await serve(router, port: port)
    }

    /// Both variants' server: HTTP/1 with the WebSocket upgrade, on loopback, quiet.
    private static func serve<Context: WebSocketRequestContext>(_ router: Router<Context>, port: Int) async throws {
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .disabled))),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            logger: { var logger = Logger(label: "floor"); logger.logLevel = .warning; return logger }())
        try await app.runService()
    }
}
