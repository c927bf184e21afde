import Foundation

/// A CA, a server certificate it signed (for `localhost` and 127.0.0.1) and a second, unrelated CA, generated with
/// `openssl` into a fresh directory, for TLS tests.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.crt" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    /// A client certificate and key the CA signed, for servers that require one (`--tls-auth-clients yes`).
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }
    /// A CA that signed nothing the server presents: a client that trusts only this one must refuse the server.
    public var otherCAFile: String { directory + "/other-ca.crt" }

    public static func generate() async throws -> TestCertificates {
        let certificates = TestCertificates(directory: makeTemporaryDirectory("sigctl-tls"))
        let d = certificates.directory
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: d + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
             "-days", "2", "-subj", "/CN=sigctl test CA"],
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/other-ca.key", "-out", d + "/other-ca.crt",
             "-days", "2", "-subj", "/CN=sigctl other CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr",
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
             "-out", d + "/server.crt", "-days", "2", "-extfile", d + "/san.ext"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/client.key", "-out", d + "/client.csr",
             "-subj", "/CN=sigctl test client"],
            ["x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
             "-out", d + "/client.crt", "-days", "2"],
        ]
        for arguments in steps {
            let process = try ChildProcess(executable: "openssl", arguments: arguments,
                                           standardOutput: .file(d + "/openssl.log", append: true))
            guard let status = await process.exit(timeout: .seconds(60)), status == 0 else {
                let log = (try? String(contentsOfFile: d + "/openssl.log", encoding: .utf8)) ?? ""
                throw TestSupportError("openssl \(arguments[0]) failed: \(log.suffix(300))")
            }
        }
        return certificates
    }
}
