import Foundation
import RedisClient
import TestSupport
import Testing

@Suite("TLS to a real redis-server (--tls-port)", .timeLimit(.minutes(2)))
struct TLSTests {
    @Test func connectsWithTheCAFileAndRefusesAnUntrustedCertificateInOneLine() async throws {
        let certificates = try await TestCertificates.generate()
        let redis = try await RedisServer.start(
            tls: RedisTLSOptions(caFile: certificates.caFile),
            tlsServerFiles: (certificates.serverCertificate, certificates.serverKey, certificates.caFile))
        defer { redis.stop() }
        // By IP address (checked against the certificate's IP entry), and by name.
        let connection = try await RedisConnection.connect(try redis.configuration)
        #expect(try await connection.send("PING").string == "PONG")
        connection.close()
        let byName = try await RedisConnection.connect(
            try RedisConfiguration(url: "rediss://localhost:\(redis.port)?tls_ca_file=\(certificates.caFile)"))
        #expect(try await byName.send("SET", "k", "v").string == "OK")
        byName.close()

        let wrongCA = try RedisConfiguration(url: "rediss://127.0.0.1:\(redis.port)?tls_ca_file=\(certificates.otherCAFile)")
        await #expect(throws: RedisError.tls("the server's certificate is not trusted (check tls_ca_file)")) {
            _ = try await RedisConnection.connect(wrongCA)
        }
        // (A wrong tls_server_name alone is not refused here: swift-nio-ssl also accepts a certificate whose IP entry
        // is the address connected to, and this one names 127.0.0.1.)
        let missing = try RedisConfiguration(url: "rediss://127.0.0.1:\(redis.port)?tls_ca_file=/nonexistent/ca.pem")
        await #expect(throws: RedisError.tls("cannot read CA file /nonexistent/ca.pem: no such file")) {
            _ = try await RedisConnection.connect(missing)
        }
        // Plain text to a TLS port is not mistaken for a working connection.
        var plain = try RedisConfiguration(url: "redis://127.0.0.1:\(redis.port)")
        plain.connectTimeout = .seconds(2)
        await #expect(throws: RedisError.self) { _ = try await RedisConnection.connect(plain) }
    }

    @Test func aServerThatRequiresAClientCertificateAcceptsTheOneGiven() async throws {
        let certificates = try await TestCertificates.generate()
        let redis = try await RedisServer.start(
            arguments: ["--tls-auth-clients", "yes"],
            tls: RedisTLSOptions(caFile: certificates.caFile, certificateFile: certificates.clientCertificate,
                                 keyFile: certificates.clientKey),
            tlsServerFiles: (certificates.serverCertificate, certificates.serverKey, certificates.caFile))
        defer { redis.stop() }
        let url = "rediss://127.0.0.1:\(redis.port)?tls_ca_file=\(certificates.caFile)"
        let withCertificate = try await RedisConnection.connect(try RedisConfiguration(
            url: url + "&tls_cert_file=\(certificates.clientCertificate)&tls_key_file=\(certificates.clientKey)"))
        #expect(try await withCertificate.send("PING").string == "PONG")
        withCertificate.close()
        // Without one the server refuses: an error, in one line.
        var without = try RedisConfiguration(url: url)
        without.connectTimeout = .seconds(5)
        do {
            let connection = try await RedisConnection.connect(without)
            connection.close()
            Issue.record("connected without the client certificate the server requires")
        } catch {
            #expect(!error.description.contains("\n"), "\(error)")
        }
    }
}
