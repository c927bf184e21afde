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
            _ = try RedisConfiguration(url: "rediss+cluster://user:hunter2@host")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("***"))
        }
    }

    @Test func sentinelURL() throws {
        let c = try RedisConfiguration(url: "redis+sentinel://:pw@10.0.0.1:26380,10.0.0.2,[::1]:26381/mymaster?db=2")
        let sentinel = try #require(c.sentinel)
        #expect(sentinel.masterName == "mymaster")
        #expect(sentinel.sentinels == [RedisServerAddress(host: "10.0.0.1", port: 26380), RedisServerAddress(host: "10.0.0.2", port: 26379),
                                       RedisServerAddress(host: "::1", port: 26381)])
        #expect(c.password == "pw" && c.username == nil && c.database == 2 && c.tls == nil)
        #expect(sentinel.password == nil)
        #expect(c.redactedURL == "redis+sentinel://:***@10.0.0.1:26380,10.0.0.2:26379,[::1]:26381/mymaster?db=2")
        let withSentinelAuth = try RedisConfiguration(url: "redis+sentinel://h1,h2/m?sentinel_password=s%40p&sentinel_username=ops")
        #expect(withSentinelAuth.sentinel?.password == "s@p" && withSentinelAuth.sentinel?.username == "ops")
        #expect(withSentinelAuth.password == nil)
        #expect(!withSentinelAuth.redactedURL.contains("s@p"))
    }

    @Test func tlsURLs() throws {
        let c = try RedisConfiguration(url: "rediss://:pw@cache.example:6380/1?tls_ca_file=/etc/ca.pem&tls_server_name=redis.internal")
        #expect(c.tls == RedisTLSOptions(caFile: "/etc/ca.pem", serverName: "redis.internal"))
        #expect(c.address == .tcp(host: "cache.example", port: 6380) && c.database == 1)
        #expect(c.redactedURL == "rediss://:***@cache.example:6380/1")
        #expect(try RedisConfiguration(url: "rediss://h").tls == RedisTLSOptions())
        let both = try RedisConfiguration(url: "rediss+sentinel://h1:5000/m?tls_cert_file=/c.pem&tls_key_file=/k.pem")
        #expect(both.tls?.certificateFile == "/c.pem" && both.tls?.keyFile == "/k.pem" && both.sentinel?.masterName == "m")
        #expect(both.redactedURL == "rediss+sentinel://h1:5000/m")
    }

    @Test(arguments: ["redis+sentinel://h1,h2", "redis+sentinel://h1,h2/", "redis+sentinel://h1,,h2/m", "redis+sentinel://h1:0/m",
                      "redis://h?tls_ca_file=/x", "rediss://h?tls_cert_file=/c", "redis://h?bogus=1", "rediss://h?tls_ca_file="])
    func malformedSentinelAndTLS(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test func aSentinelPasswordNeverShowsEither() {
        let url = "redis+cluster://:pw@h1,h2/m?sentinel_password=s3cret&db=1"
        #expect(RedisConfiguration.redact(url) == "redis+cluster://:***@h1,h2/m?sentinel_password=***&db=1")
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("s3cret") && !error.description.contains("pw@"), "\(error)")
        }
    }
}
