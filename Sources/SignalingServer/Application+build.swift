import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Synchronization

/// A runnable signaling node: the HTTP/WebSocket server, the cluster bridge and the drain on shutdown, in one
/// service group.
public struct SignalingServer: Service {
    public let node: SignalingNode
    private let group: ServiceGroup
    private let listening: ListeningPort

    public func run() async throws {
        try await group.run()
    }

    /// Begins a graceful shutdown, as SIGTERM does.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// The port the server listens on, once it does (PORT 0 binds a free one); nil before that.
    public var port: Int? { listening.port }

    init(node: SignalingNode, group: ServiceGroup, listening: ListeningPort) {
        self.node = node
        self.group = group
        self.listening = listening
    }
}

/// Assembles the node: configuration → `SignalingNode` (rooms, bridge, tokens, metrics) → routes → Hummingbird
/// application → service group with graceful shutdown.
///
/// - Parameters:
///   - signals: which signals start a graceful shutdown (`sigctl serve`: SIGTERM and SIGINT; tests: none).
///   - bridgeFactory: the cluster seam; the default runs standalone.
public func buildApplication(
    _ configuration: NodeConfiguration,
    logger: Logger,
    signals: [UnixSignal] = [],
    bridgeFactory: ClusterBridgeFactory = RedisClusterBridge.factory
) async -> SignalingServer {
    let node = await SignalingNode(configuration: configuration, logger: logger, bridgeFactory: bridgeFactory)
    let router = Router(context: NodeRequestContext.self)
    StatusController(node: node).addRoutes(to: router)
    DemoController(node: node).addRoutes(to: router)

    let listening = ListeningPort()
    let liveness = LivenessRegistry(interval: configuration.pingInterval)
    let app = Application(
        router: router,
        // HTTP requests go to the router; WebSocket upgrades of /ws to the node's channel handlers.
        server: HTTPServerBuilder { responder in
            NodeChildChannel(responder: responder, node: node, liveness: liveness)
        },
        configuration: .init(
            address: .hostname(configuration.bindAddress, port: configuration.port),
            serverName: nil,
            // A node restart sends thousands of clients to the survivors within a second; the kernel caps this at
            // net.core.somaxconn.
            backlog: 4096),
        onServerRunning: { channel in
            listening.set(channel.localAddress?.port)
            node.logger.info(
                "listening",
                metadata: [
                    "address": .string("\(configuration.bindAddress):\(channel.localAddress?.port ?? configuration.port)"),
                    "mode": .string(node.bridge.status.mode.rawValue),
                    "auth": .string(configuration.authenticationEnabled ? "jwt" : "off"),
                ])
        },
        logger: node.logger
    )
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(service: app),
                .init(service: node.bridge),
                // Last, so it is shut down first (ServiceGroup shuts down in reverse order).
                .init(service: DrainService(node: node)),
            ],
            gracefulShutdownSignals: signals,
            logger: node.logger))
    return SignalingServer(node: node, group: group, listening: listening)
}

/// Where the server ended up listening, set once from the server's start-up callback.
final class ListeningPort: Sendable {
    private let value = Mutex<Int?>(nil)
    func set(_ port: Int?) { value.withLock { $0 = port } }
    var port: Int? { value.withLock { $0 } }
}
