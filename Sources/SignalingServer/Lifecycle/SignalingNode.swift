import Foundation
import Logging
import SignalingProtocol

/// The node's parts, assembled once: configuration, local rooms, the cluster seam, token checks, metrics.
///
/// Sessions and controllers receive this instead of globals, so several nodes can run in one process (tests).
public final class SignalingNode: Sendable {
    public let configuration: NodeConfiguration
    public let hub: RoomHub
    public let bridge: any ClusterBridge
    public let verifier: TokenVerifier?
    public let metrics: NodeMetrics
    /// Carries `node.id`.
    public let logger: Logger

    public init(
        configuration: NodeConfiguration, logger: Logger, metrics: NodeMetrics = NodeMetrics(),
        bridgeFactory: ClusterBridgeFactory = RedisClusterBridge.factory
    ) async {
        var logger = logger
        logger.logLevel = configuration.logLevel
        logger[metadataKey: "node.id"] = .string(configuration.nodeID)
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.hub = RoomHub(maxConnections: configuration.maxConnections, metrics: metrics)
        self.bridge = bridgeFactory(configuration, hub, logger)
        if let secret = configuration.jwtSecret {
            self.verifier = await TokenVerifier(secret: secret)
        } else {
            self.verifier = nil
        }
    }

    /// Graceful shutdown of the clients: stop admitting, empty the rooms (room-mates get `UserLeft`, the cluster
    /// is told), close every connection with 1001, and cut off whoever has not gone within the shutdown timeout.
    public func drain() async {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.shutdownTimeout
        await bridge.nodeStopping()
        let (members, connections) = hub.drain()
        logger.info(
            "shutting down: closing client connections",
            metadata: ["connections": .stringConvertible(connections.count), "members": .stringConvertible(members.count)])
        for member in members { await bridge.unregister(member) }
        for connection in connections {
            connection.close(code: CloseCode.goingAway, reason: "server shutting down")
        }
        while hub.connectionCount > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let stragglers = hub.connectionCount
        if stragglers > 0 {
            logger.notice("cutting off clients that did not close in time", metadata: ["connections": .stringConvertible(stragglers)])
            for connection in connections { connection.abort() }
            // Their handlers end as soon as the sockets are closed; give them a moment to unwind.
            let grace = clock.now + .seconds(1)
            while hub.connectionCount > 0, clock.now < grace {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
