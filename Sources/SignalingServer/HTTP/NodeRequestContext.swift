import Hummingbird

/// The request context of the node's HTTP router (`/health`, `/metrics`, `/`). WebSocket connections never reach
/// the router: they are upgraded below it (`NodeChildChannel`).
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
