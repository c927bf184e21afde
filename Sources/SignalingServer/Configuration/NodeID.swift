#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SignalingProtocol

/// The default `NODE_ID`: the host name made valid, plus a random suffix so that two nodes started on one host (or
/// one node restarted before its old heartbeat expired) never share an id.
public enum NodeID {
    static let suffixLength = 6

    public static func generate(hostName: String = currentHostName()) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let suffix = String((0..<suffixLength).map { _ in alphabet.randomElement()! })
        return derive(hostName: hostName, suffix: suffix)
    }

    /// Invalid characters become `-`, the host part is cut so that `host-suffix` fits in 64 characters, and an
    /// empty host name becomes `node`.
    static func derive(hostName: String, suffix: String) -> String {
        var host = String(
            hostName.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", "_", ".", "-": Character(scalar)
                default: "-"
                }
            })
        if host.isEmpty { host = "node" }
        let room = Limits.maxNameLength - suffix.count - 1
        return String(host.prefix(room)) + "-" + suffix
    }

    public static func currentHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "node" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
