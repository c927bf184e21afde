import Hummingbird
import NIOCore

/// The plain HTTP routes: `/health` (PROTOCOL.md §3) and `/metrics` (Prometheus text). `/` is the demo page
/// (`DemoController`).
struct StatusController: Sendable {
    let node: SignalingNode

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get("/health") { _, _ in health() }
        router.get("/metrics") { _, _ in metrics() }
    }

    /// `{"redis_connected":…,"local_connections":…,"mode":…,"node_id":…}` in that order, then additive fields:
    /// whether the cluster subscription is live, whether cluster mode is configured, the local room count, and how
    /// many local members have no cluster registration yet.
    func health() -> Response {
        let status = node.bridge.status
        let json =
            "{\"redis_connected\":\(status.redisConnected),"
            + "\"local_connections\":\(node.hub.connectionCount),"
            + "\"mode\":\"\(status.mode.rawValue)\","
            + "\"node_id\":\"\(node.configuration.nodeID)\","
            + "\"subscription_live\":\(status.subscriptionLive),"
            + "\"cluster_mode\":\(node.configuration.clusterMode),"
            + "\"local_rooms\":\(node.hub.roomCount),"
            + "\"unregistered_members\":\(status.unregisteredMembers)}"
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    func metrics() -> Response {
        // Read at scrape time: the bridge holds the count, the metrics only report it.
        node.metrics.unregisteredMembers.set(node.bridge.status.unregisteredMembers)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: node.metrics.exposition())))
    }
}
