import Foundation
import RedisClient
import SignalingProtocol
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("Operator commands through Sentinel and TLS", .timeLimit(.minutes(3)))
    struct SentinelAndTLS {
        /// `servers`, `rooms`, `sweep` and `tail` on a Sentinel URL whose first Sentinel is down; an unknown master name
        /// is one line (exit 2); `tail` follows a `SENTINEL FAILOVER` and says so.
        @Test func commandsWorkThroughSentinelAndTailFollowsAFailover() async throws {
            let group = try await SentinelGroup.start()
            defer { group.stop() }
            let dead = "127.0.0.1:\(freeLoopbackPort())"
            let url = "redis+sentinel://\(dead)," + group.sentinels.map(\.address).joined(separator: ",") + "/\(SentinelGroup.masterName)"
            let node = try await NodeProcess.start(arguments: [
                "--cluster-mode", "--redis-url", url, "--node-id", "sent-ops-n0", "--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s",
            ])
            defer { node.signal(SIGKILL) }
            try await eventually("the node clustered", timeout: .seconds(30)) {
                (try? await httpGet(port: node.port, path: "/health", timeout: .seconds(5)))?.body.contains("\"mode\":\"cluster\"") == true
            }
            let alice = try await Peer.join(node, name: "alice", room: "ops-room")

            let servers = try await sigctl(["servers", "list", "--format", "json", "--redis-url", url])
            #expect(servers.exitCode == 0 && servers.stdout.contains("sent-ops-n0"), "\(servers)")
            let rooms = try await sigctl(["rooms", "inspect", "ops-room", "--redis-url", url])
            #expect(rooms.exitCode == 0 && rooms.stdout.contains("alice"), "\(rooms)")
            let sweep = try await sigctl(["sweep", "--dry-run", "--redis-url", url])
            #expect(sweep.exitCode == 0, "no dead node: \(sweep)")

            let unknown = try await sigctl(["servers", "list", "--redis-url", "redis+sentinel://\(group.sentinels[0].address)/nope"])
            expectOneLineError(unknown, mentioning: ["no Sentinel knows a master named 'nope'"])

            let tail = try startSigctl(["tail", "--redis-url", url])
            defer { tail.signal(SIGKILL) }
            try await tail.waitForOutput("listening on cluster:*", on: .stdout)
            #expect(tail.stdout.contains("(master 127.0.0.1:\(group.servers[0].port))"), "\(tail.stdout)")
            let old = group.servers[0]
            try await group.sentinels[1].send("SENTINEL", "FAILOVER", SentinelGroup.masterName)
            let new = try await group.waitForSwitch(from: old)
            try await tail.waitForOutput("Redis master switched: now 127.0.0.1:\(new.port)", on: .stdout)
            // Traffic on the new master reaches tail.
            try await eventually("the node clustered on the new master", timeout: .seconds(30)) {
                (try? await httpGet(port: node.port, path: "/health", timeout: .seconds(5)))?.body
                    .contains("\"redis_server\":\"127.0.0.1:\(new.port)\"") == true
            }
            let bob = try await Peer.join(node, name: "bob", room: "ops-room")
            try await tail.waitForOutput("UserJoined", on: .stdout)
            _ = (alice, bob)
            tail.signal(SIGINT)
        }

        /// A TLS-only redis-server (certificates made by the test with openssl): a node and the operator commands
        /// connect with the CA file; a CA that did not sign the server's certificate is one clear line.
        @Test func nodeAndCommandsConnectOverTLSAndAWrongCAIsOneLine() async throws {
            let certificates = try await TestCertificates.generate()
            let redis = try await RedisServer.start(
                tls: RedisTLSOptions(caFile: certificates.caFile),
                tlsServerFiles: (certificates.serverCertificate, certificates.serverKey, certificates.caFile))
            defer { redis.stop() }
            let url = "rediss://127.0.0.1:\(redis.port)?tls_ca_file=\(certificates.caFile)"
            let node = try await NodeProcess.start(arguments: [
                "--cluster-mode", "--redis-url", url, "--node-id", "tls-n0", "--heartbeat-interval", "300ms", "--heartbeat-ttl", "30s",
            ])
            defer { node.signal(SIGKILL) }
            try await eventually("the node clustered over TLS", timeout: .seconds(30)) {
                (try? await httpGet(port: node.port, path: "/health", timeout: .seconds(5)))?.body.contains("\"mode\":\"cluster\"") == true
            }
            _ = try await Peer.join(node, name: "alice", room: "tls-room")
            let servers = try await sigctl(["servers", "list", "--redis-url", url])
            #expect(servers.exitCode == 0 && servers.stdout.contains("tls-n0"), "\(servers)")
            let rooms = try await sigctl(["rooms", "list", "--format", "json", "--redis-url", url])
            #expect(rooms.exitCode == 0 && rooms.stdout.contains("tls-room"), "\(rooms)")
            let tail = try await sigctl(["tail", "--count", "1", "--type", "UserJoined", "--redis-url", url], timeout: .seconds(3))
            #expect(tail.stdout.contains("listening on cluster:*"), "tail connects over TLS: \(tail)")

            let wrong = "rediss://:secret@127.0.0.1:\(redis.port)?tls_ca_file=\(certificates.otherCAFile)"
            for command in [["servers", "list"], ["sweep", "--dry-run"], ["tail", "--count", "1"]] {
                let result = try await sigctl(command + ["--redis-url", wrong])
                expectOneLineError(result, mentioning: ["certificate is not trusted", "rediss://:***@127.0.0.1:\(redis.port)"])
                #expect(!result.stderr.contains("secret"), "\(result)")
            }
        }
    }
}
