/// TLS to Redis (`rediss://`): which CA to trust, an optional client certificate, the name to check.
public struct RedisTLSOptions: Sendable, Hashable {
    /// PEM file of the CA certificates to trust; nil: the system's trust roots.
    public var caFile: String?
    /// PEM files of a client certificate and its key (both or neither), for servers that require one.
    public var certificateFile: String?
    public var keyFile: String?
    /// The name checked against the server's certificate and sent as SNI; nil: the host (an IP address is checked
    /// against the certificate's IP entries, and no SNI is sent).
    public var serverName: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}
