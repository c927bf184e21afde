#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The plain-socket side of the raw WebSocket test clients (`RawWebSocketClient`, `RawFrameSocket`): connect, send
/// the upgrade request, wait for the `101`, and keep whatever bytes arrived right behind it.
enum RawWebSocketUpgrade {
    /// A connected, upgraded socket and the bytes that came with the `101`. The socket's reads time out every 50 ms
    /// (so a read loop notices `close()`), sends after 20 s (so a server that stops reading fails a test rather than
    /// hanging it). `timeout` bounds the handshake of a server that never answers.
    static func open(host: String, port: Int, path: String, timeout: Duration, url: String) async throws
        -> (fd: Int32, leftover: [UInt8])
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var receiveTimeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        var sendTimeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        do {
            let leftover: [UInt8] = try await withCheckedThrowingContinuation { continuation in
                Thread {
                    continuation.resume(with: Result {
                        try handshake(fd: fd, host: host, port: port, path: path, timeout: timeout, url: url)
                    })
                }.start()
            }
            return (fd, leftover)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private static func handshake(
        fd: Int32, host: String, port: Int, path: String, timeout: Duration, url: String
    ) throws -> [UInt8] {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        var connected: Int32
        repeat {
            connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } while connected != 0 && errno == EINTR
        guard connected == 0 else { throw TestSupportError("cannot connect to \(url) (errno \(errno))") }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try sendAll(fd: fd, Array(request.utf8))
        var received: [UInt8] = []
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while clock.now < deadline {
            if let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                guard head.hasPrefix("HTTP/1.1 101") else { throw TestSupportError("upgrade refused by \(url): \(head)") }
                guard head.lowercased().contains("upgrade: websocket") else {
                    throw TestSupportError("101 from \(url) without Upgrade: websocket: \(head)")
                }
                return Array(received[end.upperBound...])
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += buffer[..<n]
            } else if n == 0 {
                break
            } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                break
            }
        }
        throw TestSupportError("no upgrade response from \(url)")
    }

    /// Writes all of `bytes`, retrying interrupted sends.
    static func sendAll(fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw TestSupportError("send failed after \(sent) of \(bytes.count) bytes (errno \(errno))") }
            sent += n
        }
    }
}
