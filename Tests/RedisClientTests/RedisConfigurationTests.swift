import Testing
import RedisClient

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test func fullURL() throws {
        let c = try RedisConfiguration(url: "redis://alice:s3cr%40t@cache.example:6380/2")
        #expect(c.address == .tcp(host: "cache.example", port: 6380))
        #expect(c.username == "alice")
        #expect(c.password == "s3cr@t")
        #expect(c.database == 2)
        #expect(c.redactedURL == "redis://alice:***@cache.example:6380/2")
    }

    @Test func defaultsAndPasswordOnly() throws {
        let c = try RedisConfiguration(url: "redis://:pw@127.0.0.1")
        #expect(c.address == .tcp(host: "127.0.0.1", port: 6379))
        #expect(c.username == nil)
        #expect(c.password == "pw")
        #expect(c.database == 0)
        #expect(try RedisConfiguration(url: "redis://localhost").password == nil)
    }

    @Test func ipv6AndUnix() throws {
        #expect(try RedisConfiguration(url: "redis://[::1]:7000").address == .tcp(host: "::1", port: 7000))
        let u = try RedisConfiguration(url: "unix:///run/redis.sock?db=3")
        #expect(u.address == .unix(path: "/run/redis.sock"))
        #expect(u.database == 3)
    }

    @Test(arguments: ["http://x", "redis://", "redis://host:0", "redis://host:99999", "redis://host:abc",
                      "redis://host/x", "unix://relative.sock", "redis://[::1"])
    func malformed(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test func errorsNeverShowThePassword() {
        do {
            _ = try RedisConfiguration(url: "rediss://user:hunter2@host")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("***"))
        }
    }
}
