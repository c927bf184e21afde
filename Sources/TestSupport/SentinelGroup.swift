#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RedisClient

/// A master, its replicas and the Sentinels that watch them: real `redis-server` and `redis-sentinel` processes on
/// loopback ports, stopped by pid. `start` returns once every Sentinel knows every replica and the other Sentinels,
/// so that a failover can begin at once.
public final class SentinelGroup: Sendable {
    public static let masterName = "sigctl-master"

    /// Every data server, the first one the master at the start.
    public let servers: [RedisServer]
    public let sentinels: [RedisSentinel]

    /// `redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,…/sigctl-master`
    public var url: String { url(sentinels: sentinels) }

    public func url(sentinels: [RedisSentinel]) -> String {
        "redis+sentinel://" + sentinels.map(\.address).joined(separator: ",") + "/\(Self.masterName)"
    }

    private init(servers: [RedisServer], sentinels: [RedisSentinel]) {
        self.servers = servers
        self.sentinels = sentinels
    }

    public static func start(replicas: Int = 2, sentinels sentinelCount: Int = 3) async throws -> SentinelGroup {
        let master = try await RedisServer.start()
        var servers = [master]
        for _ in 0..<replicas {
            servers.append(try await RedisServer.start(arguments: ["--replicaof", "127.0.0.1", "\(master.port)"]))
        }
        let group = SentinelGroup(servers: servers, sentinels: [])
        try await group.waitForReplication(master: master)
        var sentinels: [RedisSentinel] = []
        for _ in 0..<sentinelCount {
            sentinels.append(try await RedisSentinel.start(masterName: masterName, masterPort: master.port,
                                                           quorum: sentinelCount / 2 + 1))
        }
        let ready = SentinelGroup(servers: servers, sentinels: sentinels)
        try await eventually("the Sentinels know every replica and each other", timeout: .seconds(30)) {
            for sentinel in sentinels {
                guard let replicasSeen = try? await sentinel.send("SENTINEL", "replicas", masterName).array,
                      replicasSeen.count == replicas,
                      let others = try? await sentinel.send("SENTINEL", "sentinels", masterName).array,
                      others.count == sentinelCount - 1
                else { return false }
            }
            return true
        }
        return ready
    }

    /// Waits until `master` reports every other live server as an online replica.
    public func waitForReplication(master: RedisServer, timeout: Duration = .seconds(30)) async throws {
        let expected = servers.filter { $0 !== master && $0.pid != nil }.count
        try await eventually("\(expected) replicas in sync with :\(master.port)", timeout: timeout) {
            guard let info = try? await master.withConnection({ try await $0.send("INFO", "replication").string }) else { return false }
            return info.components(separatedBy: "\r\n").filter { $0.hasPrefix("slave") && $0.contains("state=online") }.count >= expected
        }
    }

    /// The master according to the first Sentinel that answers.
    public func currentMaster() async throws -> RedisServer {
        for sentinel in sentinels where sentinel.pid != nil {
            guard let reply = try? await sentinel.send("SENTINEL", "get-master-addr-by-name", Self.masterName).array,
                  reply.count == 2, let port = reply[1].string.flatMap({ Int($0) }),
                  let server = servers.first(where: { $0.port == port })
            else { continue }
            return server
        }
        throw TestSupportError("no Sentinel names a master")
    }

    /// Waits until every live Sentinel names a master other than `old`, which reports itself as master; returns it.
    @discardableResult
    public func waitForSwitch(from old: RedisServer, timeout: Duration = .seconds(30)) async throws -> RedisServer {
        try await waitForSwitchTimed(from: old, timeout: timeout).master
    }

    /// Like `waitForSwitch`, and also when the first Sentinel named the new master (polled every 20 ms): the moment of
    /// the switch, as a client following that Sentinel could see it.
    public func waitForSwitchTimed(from old: RedisServer, timeout: Duration = .seconds(30)) async throws
        -> (master: RedisServer, firstSeen: ContinuousClock.Instant)
    {
        var found: RedisServer?
        var firstSeen: ContinuousClock.Instant?
        try await eventually("a new master instead of :\(old.port)", timeout: timeout) {
            var named: Set<Int> = []
            var answered = true
            for sentinel in self.sentinels where sentinel.pid != nil {
                guard let reply = try? await sentinel.send("SENTINEL", "get-master-addr-by-name", Self.masterName).array,
                      reply.count == 2, let port = reply[1].string.flatMap({ Int($0) })
                else { answered = false; continue }
                named.insert(port)
                if port != old.port, firstSeen == nil { firstSeen = .now }
            }
            guard answered, named.count == 1, let port = named.first, port != old.port,
                  let server = self.servers.first(where: { $0.port == port }),
                  let role = try? await server.withConnection({ try await $0.send("ROLE").array?.first?.string }),
                  role == "master"
            else { return false }
            found = server
            return true
        }
        return (found!, firstSeen!)
    }

    public func stop() {
        for sentinel in sentinels { sentinel.kill() }
        for server in servers { server.kill() }
    }
}
