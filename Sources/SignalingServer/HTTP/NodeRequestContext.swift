import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the node's router: Hummingbird's basic context plus the connection's channel, which
/// the WebSocket controller needs to cut off a client that stops reading (its close frame could never be written).
public struct NodeRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }
}
