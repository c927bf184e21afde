import Foundation
import NIOCore
import NIOSSL

/// Builds the TLS client handler for a connection from `RedisTLSOptions`, and says in one line why TLS failed.
enum RedisTLSContext {
    static func makeContext(_ options: RedisTLSOptions) throws(RedisError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw .tls("cannot read CA file \(caFile): \(fileError(error, path: caFile))")
            }
            guard !roots.isEmpty else { throw .tls("no certificate in CA file \(caFile)") }
            tls.trustRoots = .certificates(roots)
        }
        if let certificateFile = options.certificateFile, let keyFile = options.keyFile {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            } catch {
                throw .tls("cannot read client certificate \(certificateFile): \(fileError(error, path: certificateFile))")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw .tls("cannot read client key \(keyFile): \(fileError(error, path: keyFile))")
            }
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .tls("cannot set up TLS: \(describe(error))")
        }
    }

    static func makeHandler(context: NIOSSLContext, options: RedisTLSOptions, host: String) throws -> NIOSSLClientHandler {
        // SNI carries names only: an IP address is checked against the certificate's IP entries instead.
        let name = options.serverName ?? (isIPAddress(host) ? nil : host)
        return try NIOSSLClientHandler(context: context, serverHostname: name)
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// One short line for an operator: what went wrong in the handshake, without BoringSSL's error-stack noise.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted (check tls_ca_file)"
        }
        if let error = error as? NIOSSLExtraError, "\(error)".contains("hostname") {
            return "the server's certificate does not match its name (see tls_server_name): \(error)"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            return "the server does not speak TLS on this port"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") {
            return "the server refused the handshake (does it require a client certificate?)"
        }
        if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            return "the server closed the connection during the handshake"
        }
        return "handshake failed: \(text.prefix(200))"
    }

    /// Why a PEM file could not be used: missing, unreadable, or not PEM.
    private static func fileError(_ error: any Error, path: String) -> String {
        if !FileManager.default.fileExists(atPath: path) { return "no such file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return "not a PEM file (\(String("\(error)".prefix(120))))"
    }
}
