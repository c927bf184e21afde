import Hummingbird
import ClusterState
import NIOCore
import RedisClient

/// The plain HTTP routes: `/health` (PROTOCOL.md §3) and `/metrics` (Prometheus text). `/` is the demo page
/// (`DemoController`).
struct StatusController: Sendable {
    let node: SignalingNode

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get("/health") { _, _ in health() }
        router.get("/metrics") { _, _ in metrics() }
    }

    /// `{"redis_connected":…,"local_connections":…,"mode":…,"node_id":…}` in that order, then additive fields:
    /// whether the cluster subscription is live, whether cluster mode is configured, the local room count, how
    /// many local members have no cluster registration yet, how many cluster events the subscription dropped, and (in
    /// cluster mode) which Redis server the node uses and when it last switched (`redisServerFields`).
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
            + "\"unregistered_members\":\(status.unregisteredMembers),"
            + "\"subscription_dropped_events\":\(status.subscriptionDroppedEvents)"
            + redisServerFields(node.bridge.redisServer) + "}"
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// `,"redis_server":"host:port","redis_switches":N,"redis_last_switch":"RFC 3339"|null` in cluster mode: which
    /// Redis (with Sentinel: which master) the node uses, and when it last followed a switch.
    private func redisServerFields(_ server: RedisServerStatus?) -> String {
        guard let server else { return "" }
        let address = server.address.map { "\"\($0)\"" } ?? "null"
        let lastSwitch = server.lastSwitch.map { "\"\(RFC3339.format(unixSeconds: Int64($0.timeIntervalSince1970)))\"" } ?? "null"
        return ",\"redis_server\":\(address),\"redis_switches\":\(server.switches),\"redis_last_switch\":\(lastSwitch)"
    }

    func metrics() -> Response {
        // Read at scrape time: the bridge holds the counts, the metrics only report them.
        let status = node.bridge.status
        node.metrics.unregisteredMembers.set(status.unregisteredMembers)
        node.metrics.reportDroppedEvents(total: status.subscriptionDroppedEvents)
        if let server = node.bridge.redisServer { node.metrics.redisServer(server) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: node.metrics.exposition())))
    }
}
