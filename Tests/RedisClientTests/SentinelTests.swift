import Foundation
@testable import RedisClient
import TestSupport
import Testing

/// Discovery and failover against a real master, two replicas and three `redis-sentinel` processes.
@Suite("Redis Sentinel: discovery and failover", .serialized, .timeLimit(.minutes(3)))
struct SentinelTests {
    static func configuration(_ url: String, follow: Bool = true) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectTimeout = .seconds(10)
        configuration.commandTimeout = .seconds(30)
        configuration.sentinel?.followSwitches = follow
        return configuration
    }

    @Test func discoveryAsksPastADownSentinelConfirmsTheRoleAndLearnsTheOthers() async throws {
        let group = try await SentinelGroup.start()
        defer { group.stop() }
        // A Sentinel that is down comes first; only one live Sentinel is named: the others are learned from it.
        let dead = "127.0.0.1:\(freeLoopbackPort())"
        let url = "redis+sentinel://\(dead),\(group.sentinels[1].address)/\(SentinelGroup.masterName)"
        let config = try Self.configuration(url, follow: false)
        let connection = try await RedisConnection.connect(config)
        defer { connection.close() }
        #expect(connection.serverAddress == "127.0.0.1:\(group.servers[0].port)")
        #expect(try await connection.send("SET", "k", "v").string == "OK")
        let known = SentinelDirectory.shared.sentinels(for: try #require(config.sentinel))
        #expect(known.first == RedisServerAddress(host: "127.0.0.1", port: group.sentinels[1].port), "the one that answered first")
        #expect(Set(known.map(\.port)).isSuperset(of: group.sentinels.map(\.port)), "learned the other Sentinels: \(known)")
    }

    @Test func anUnknownMasterNameIsOneLine() async throws {
        let group = try await SentinelGroup.start(replicas: 0, sentinels: 1)
        defer { group.stop() }
        let config = try Self.configuration("redis+sentinel://\(group.sentinels[0].address)/no-such-master")
        do {
            _ = try await RedisConnection.connect(config)
            Issue.record("expected an error")
        } catch {
            #expect(error == .sentinel("no Sentinel knows a master named 'no-such-master' (asked \(group.sentinels[0].address))"))
            #expect(!error.description.contains("\n"))
        }
    }

    /// `SENTINEL FAILOVER`: the command connection and the subscription both move to the new master within 5 s of the
    /// switch, through `+switch-master`; messages published on the new master reach the subscriber.
    @Test func clientAndSubscriberFollowAFailover() async throws {
        let group = try await SentinelGroup.start()
        defer { group.stop() }
        let config = try Self.configuration(group.url)
        let policy = ReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(500), commandWait: .seconds(10))
        let client = RedisClient(configuration: config, policy: policy)
        let subscriber = RedisSubscriber(configuration: config, policy: policy)
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { await client.run() }
            tasks.addTask { await subscriber.run() }
            try await subscriber.subscribe(["news"])
            var events = subscriber.events.makeAsyncIterator()
            #expect(await events.next() == .subscribed(reconnect: false))
            try await client.send("SET", "before", "1")
            let old = group.servers[0]
            #expect(client.server.address == "127.0.0.1:\(old.port)")

            try await group.sentinels[0].send("SENTINEL", "FAILOVER", SentinelGroup.masterName)
            let new = try await group.waitForSwitch(from: old)
            let switched = ContinuousClock.now
            try await eventually("the client on the new master", timeout: .seconds(5)) {
                client.server.address == "127.0.0.1:\(new.port)" && client.state == .connected
            }
            #expect(client.server.switches == 1 && client.server.lastSwitch != nil)
            try await client.send("SET", "after", "1")
            #expect(try await new.get("after") == "1")
            // The subscription is back, on the new master.
            while let event = await events.next() {
                if event == .subscribed(reconnect: true) { break }
            }
            #expect(ContinuousClock.now - switched < .seconds(5))
            try await new.withConnection { _ = try await $0.send("PUBLISH", "news", "on the new master") }
            var heard: SubscriberEvent?
            while let event = await events.next() {
                if case .message = event { heard = event; break }
            }
            #expect(heard == .message(PubSubMessage(channel: "news", payload: Array("on the new master".utf8))))
            tasks.cancelAll()
        }
    }

    /// A master demoted by hand answers writes with READONLY: that reply drops the connection, and discovery runs again
    /// until the Sentinels have promoted a replica (switch-following is off here, so only the READONLY path acts).
    @Test func aReadonlyReplyDropsTheConnectionAndRediscovers() async throws {
        let group = try await SentinelGroup.start()
        defer { group.stop() }
        let config = try Self.configuration(group.url, follow: false)
        let client = RedisClient(configuration: config, policy: ReconnectPolicy(
            initialDelay: .milliseconds(50), maximumDelay: .milliseconds(500), commandWait: .seconds(10)))
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { await client.run() }
            try await client.send("SET", "before", "1")
            let old = group.servers[0]
            try await old.withConnection { _ = try await $0.send("REPLICAOF", "127.0.0.1", "\(group.servers[1].port)") }
            let reply = try await client.sendRaw(RedisCommand("SET", "k", "v"))
            #expect(reply.errorMessage?.hasPrefix("READONLY") == true, "\(reply)")
            try await eventually("the client to leave the demoted master", timeout: .seconds(5)) { client.state != .connected }
            // Writes succeed again once the Sentinels have a master (and the client found it).
            try await eventually("a write to a new master", timeout: .seconds(60), interval: .milliseconds(100)) {
                (try? await client.send("SET", "after", "1")) != nil
            }
            #expect(client.server.address != "127.0.0.1:\(old.port)")
            tasks.cancelAll()
        }
    }
}
