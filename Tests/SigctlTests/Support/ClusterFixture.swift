import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

/// The clusters of the operator tests: a real Redis and real `sigctl serve --cluster-mode` nodes named
/// `ops-<run>-n<i>`, each with its own heartbeat settings.
enum OpsCluster {
    /// Heartbeat every 300 ms, TTL 30 s: a live node that also sweeps often, and whose heartbeat no stall of a busy
    /// machine lets lapse (so that no live node is ever seen dead, or swept).
    static let fast = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s"]
    /// A survivor that does not sweep during a test (its first sweep comes after at least 160 s, longer than any
    /// test may run), so that only `sigctl sweep` sweeps.
    static let slow = ["--heartbeat-interval", "200s", "--heartbeat-ttl", "600s"]
    /// A node meant to be killed. Its heartbeat lives as long as a live node's, so that a stall cannot make it look
    /// dead before its death; the test expires it once the process is gone (`expireHeartbeat`).
    static let victim = ["--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s"]

    /// One node per element of `heartbeats`, all in cluster mode, started in order.
    static func start(_ heartbeats: [[String]]) async throws -> NodeCluster {
        try await NodeCluster.start(heartbeats, idPrefix: "ops")
    }
}

// MARK: - Reading Redis directly

extension RedisServer {
    /// The cluster's state as far as a sweep may change it: every key, hashes with their content, strings with their
    /// value except heartbeats (a live node refreshes its own while the test runs), and TTL-carrying claim keys.
    func snapshot() async throws -> [String: String] {
        var out: [String: String] = [:]
        for key in try await keys() {
            let type = try await withConnection { try await $0.send("TYPE", key).string ?? "?" }
            switch type {
            case "hash":
                let content = try await hgetall(key)
                out[key] = content.keys.sorted().map { "\($0)=\(content[$0]!)" }.joined(separator: "\n")
            case "string":
                out[key] = key.hasSuffix(":heartbeat") ? "(heartbeat)" : (try await get(key) ?? "(nil)")
            default:
                out[key] = "(\(type))"
            }
        }
        return out
    }
}

