#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A response from `httpGet`.
public struct HTTPResult: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String
}

/// A one-shot `GET` over a plain socket (HTTP/1.1, `Connection: close`), for `/health` and `/metrics` in tests.
///
/// The blocking socket calls run on a dedicated thread, never on the concurrency pool, so a test waiting for a
/// response cannot starve the in-process server it is talking to.
public func httpGet(host: String = "127.0.0.1", port: Int, path: String, timeout: Duration = .seconds(15)) async throws -> HTTPResult {
    try await httpRequest("GET", host: host, port: port, path: path, timeout: timeout)
}

/// A one-shot request with an optional JSON body, as `httpGet` (for WebDriver's HTTP API in tests).
public func httpRequest(
    _ method: String, host: String = "127.0.0.1", port: Int, path: String, json body: [UInt8]? = nil,
    timeout: Duration = .seconds(15)
) async throws -> HTTPResult {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result {
                try blockingRequest(method, host: host, port: port, path: path, body: body, timeout: timeout)
            })
        }
        thread.start()
    }
}

private func blockingRequest(
    _ method: String, host: String, port: Int, path: String, body: [UInt8]?, timeout: Duration
) throws -> HTTPResult {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr(host)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestSupportError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))") }
    let bodyHeaders = body.map { "Content-Type: application/json\r\nContent-Length: \($0.count)\r\n" } ?? ""
    let request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\(bodyHeaders)\r\n".utf8)
        + (body ?? [])
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { throw TestSupportError("send failed: \(String(cString: strerror(errno)))") }
        sent += n
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { break }
        // A process stopped and continued (a paused machine) sees its timed socket calls interrupted: not a failure.
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { throw TestSupportError("recv failed: \(String(cString: strerror(errno)))") }
        response += buffer[..<n]
        // Some servers (chromedriver) keep the socket open after a complete response despite `Connection: close`.
        if let length = completeLength(of: response), response.count >= length { break }
    }
    guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
        throw TestSupportError("malformed HTTP response")
    }
    let head = String(decoding: response[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = head.first?.split(separator: " ") ?? []
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestSupportError("malformed status line") }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(response[split.upperBound...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
    return HTTPResult(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
}

private func dechunk(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        guard let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { break }
        let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
        guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
        let start = lineEnd.upperBound
        guard start + size <= bytes.count else { break }
        out += bytes[start..<start + size]
        index = start + size + 2
    }
    return out
}

/// The length of the whole response when its head is in and names a `Content-Length`; else nil (read to the end).
private func completeLength(of response: [UInt8]) -> Int? {
    guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
    let head = String(decoding: response[..<split.lowerBound], as: UTF8.self).lowercased()
    for line in head.components(separatedBy: "\r\n") where line.hasPrefix("content-length:") {
        guard let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return nil }
        return split.upperBound + length
    }
    return nil
}
