#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A minimal WebSocket client over a plain socket, on its own thread, for the cases where a client library gets in
/// the way: it keeps every byte the server sends right behind its `101` response (swift-websocket's client can lose
/// frames that arrive in the same read as the `101`), and it reports exactly which close code arrived.
///
/// Text messages and the close code only; frames it sends are masked, as RFC 6455 requires of clients.
public final class RawWebSocketClient: Sendable {
    private struct State {
        var messages: [String] = []
        var cursor = 0
        var closeCode: UInt16?
        var ended = false
        var pings = 0
        var stop = false
    }

    private let fd: Int32
    private let state = Mutex(State())
    public let description: String

    /// Connects, completes the handshake, and starts reading on a dedicated thread. `timeout` bounds the handshake of a
    /// server that never answers; it is long enough that a stalled machine does not fail one that does.
    public init(host: String = "127.0.0.1", port: Int, path: String = "/ws", timeout: Duration = .seconds(20)) async throws {
        description = "ws://\(host):\(port)\(path)"
        let (fd, leftover) = try await RawWebSocketUpgrade.open(
            host: host, port: port, path: path, timeout: timeout, url: description)
        self.fd = fd
        Thread { [self] in readLoop(initial: leftover) }.start()
    }

    deinit {
        Glibc.close(fd)
    }

    private func readLoop(initial: [UInt8]) {
        var buffer = initial
        var fragments: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !state.withLock({ $0.stop }) {
            // Parse every complete frame in the buffer.
            while let (fin, opcode, payload, length) = Self.frame(in: buffer) {
                buffer.removeFirst(length)
                switch opcode {
                case 0x1, 0x0:
                    fragments += payload
                    if fin {
                        let text = String(decoding: fragments, as: UTF8.self)
                        fragments = []
                        state.withLock { $0.messages.append(text) }
                    }
                case 0x8:
                    let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                    state.withLock { $0.closeCode = code }
                    try? RawWebSocketUpgrade.sendAll(fd: fd, Self.maskedFrame(opcode: 0x8, payload: Array(payload.prefix(2))))
                    shutdown(fd, Int32(SHUT_WR))
                case 0x9:
                    // Counted, never answered: this client stands for one whose pongs never arrive.
                    state.withLock { $0.pings += 1 }
                default:
                    break
                }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            // EINTR: a process stopped and continued (a paused machine) sees its timed socket calls interrupted.
            if n > 0 {
                buffer += chunk[..<n]
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                break
            }
        }
        state.withLock { $0.ended = true }
    }

    /// (fin, opcode, unmasked payload, total frame length) of the first complete frame, or nil.
    private static func frame(in bytes: [UInt8]) -> (Bool, UInt8, [UInt8], Int)? {
        guard bytes.count >= 2 else { return nil }
        let fin = bytes[0] & 0x80 != 0
        let opcode = bytes[0] & 0x0f
        let masked = bytes[1] & 0x80 != 0
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
            offset = 10
        }
        let maskOffset = offset
        if masked { offset += 4 }
        guard bytes.count >= offset + length else { return nil }
        var payload = Array(bytes[offset..<offset + length])
        if masked {
            for i in payload.indices { payload[i] ^= bytes[maskOffset + i % 4] }
        }
        return (fin, opcode, payload, offset + length)
    }

    private static func maskedFrame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65_536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) }
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    /// Sends one text message in one frame.
    public func send(_ text: String) throws {
        try RawWebSocketUpgrade.sendAll(fd: fd, Self.maskedFrame(opcode: 0x1, payload: Array(text.utf8)))
    }

    /// The next text message not yet returned, waiting up to `timeout`.
    public func next(timeout: Duration = .seconds(15)) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let (message, ended) = state.withLock { state -> (String?, Bool) in
                guard state.cursor < state.messages.count else { return (nil, state.ended) }
                defer { state.cursor += 1 }
                return (state.messages[state.cursor], false)
            }
            if let message { return message }
            if ended { throw TestSupportError("connection to \(description) ended while waiting for a message") }
            guard clock.now < deadline else { throw TestSupportError("no message from \(description) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until the server has closed the connection; the close code it sent, if any.
    public func waitUntilEnded(timeout: Duration = .seconds(15)) async throws -> UInt16? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !state.withLock({ $0.ended }) {
            guard clock.now < deadline else { throw TestSupportError("\(description) still open after \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
        return state.withLock { $0.closeCode }
    }

    /// Pings the server has sent (this client never answers them).
    public var pingsSeen: Int { state.withLock { $0.pings } }

    /// Stops reading and closes the socket.
    public func close() {
        state.withLock { $0.stop = true }
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
