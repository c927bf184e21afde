import Hummingbird
import Logging
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import SignalingProtocol

/// `BareRelay` behind Hummingbird's WebSocket API, built the way the node uses it: each connection's inbound
/// frames in a `for await` loop, and a writer task draining that connection's queue into its outbound writer.
enum HummingbirdRelay {
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
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .disabled))),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            logger: { var logger = Logger(label: "floor"); logger.logLevel = .warning; return logger }())
        try await app.runService()
    }
}
