import Foundation
import RedisClient

/// A real Redis and real `sigctl serve --cluster-mode` child processes, one per element of the arguments given to
/// `start`, each with its own settings (heartbeat, routing…).
public final class NodeCluster: Sendable {
    public let redis: RedisServer
    public let nodes: [NodeProcess]
    /// The node ids, in the order of `nodes`; they sort in that order too.
    public let ids: [String]

    private init(redis: RedisServer, nodes: [NodeProcess], ids: [String]) {
        self.redis = redis
        self.nodes = nodes
        self.ids = ids
    }

    /// Starts a Redis, then one node per element of `nodeArguments` (added to `--cluster-mode --redis-url …
    /// --node-id <prefix>-<run>-n<i> --log-level debug`), in order, and waits until each reports cluster mode.
    public static func start(_ nodeArguments: [[String]], idPrefix: String = "node") async throws -> NodeCluster {
        let redis = try await RedisServer.start()
        var nodes: [NodeProcess] = []
        var ids: [String] = []
        let run = UUID().uuidString.prefix(4).lowercased()
        for (i, arguments) in nodeArguments.enumerated() {
            let id = "\(idPrefix)-\(run)-n\(i)"
            ids.append(id)
            nodes.append(try await NodeProcess.start(arguments: [
                "--cluster-mode", "--redis-url", redis.url, "--node-id", id, "--log-level", "debug",
            ] + arguments))
        }
        let cluster = NodeCluster(redis: redis, nodes: nodes, ids: ids)
        for i in nodes.indices { try await cluster.waitForMode(i, "cluster") }
        return cluster
    }

    /// Node `i`'s `/health`, decoded. The request's timeout is a bound for a node that never answers, not a pace: a
    /// node that a busy machine stalls for a few seconds must not fail the request.
    public func health(_ i: Int, timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        let result = try await httpGet(port: nodes[i].port, path: "/health", timeout: timeout)
        return (try JSONSerialization.jsonObject(with: Data(result.body.utf8)) as? [String: Any]) ?? [:]
    }

    /// Node `i`, which must be dead already (killed, and reaped), loses its heartbeat now, as if its TTL had run out.
    ///
    /// Tests give every node a heartbeat TTL far longer than a busy machine can stall, so that no live node is ever
    /// seen dead; a test that kills one uses this rather than waiting out that TTL.
    public func expireHeartbeat(_ i: Int) async throws {
        try await redis.withConnection { _ = try await $0.send("PEXPIRE", "servers:\(ids[i]):heartbeat", 1) }
    }

    /// Polls node `i`'s `/health` until its `mode` is `mode`.
    public func waitForMode(_ i: Int, _ mode: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually("node \(i) in \(mode) mode", timeout: timeout) {
            (try? await self.health(i))?["mode"] as? String == mode
        }
    }
}
