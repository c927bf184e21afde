#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// One WebSocket frame exactly as it crossed the wire (RFC 6455 §5.2), payload unmasked.
public struct WireFrame: Sendable, Equatable, CustomStringConvertible {
    public static let continuation: UInt8 = 0x0
    public static let text: UInt8 = 0x1
    public static let binary: UInt8 = 0x2
    public static let close: UInt8 = 0x8
    public static let ping: UInt8 = 0x9
    public static let pong: UInt8 = 0xA

    /// RSV bits as they sit in the first byte, shifted down: RSV1 = 4, RSV2 = 2, RSV3 = 1.
    public static let rsv1: UInt8 = 4
    public static let rsv2: UInt8 = 2
    public static let rsv3: UInt8 = 1

    public var fin: Bool
    public var rsv: UInt8
    public var opcode: UInt8
    public var masked: Bool
    public var payload: [UInt8]

    public init(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, masked: Bool = false, payload: [UInt8] = []) {
        self.fin = fin
        self.rsv = rsv
        self.opcode = opcode
        self.masked = masked
        self.payload = payload
    }

    /// The status code of a close frame that carries one.
    public var closeCode: UInt16? {
        guard opcode == Self.close, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    /// The payload read as UTF-8 (lossy), for messages and diagnostics.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    public var description: String {
        var shown = "fin=\(fin ? 1 : 0) rsv=\(rsv) opcode=0x\(String(opcode, radix: 16))\(masked ? " masked" : "")"
        if let closeCode {
            shown += " close \(closeCode) \"\(String(decoding: payload.dropFirst(2), as: UTF8.self))\""
        } else if opcode == Self.text {
            shown += " \(payload.count) bytes: \(payload.count <= 200 ? text : String(text.prefix(200)) + "…")"
        } else {
            shown += " \(payload.count) bytes"
        }
        return shown
    }
}

/// A WebSocket client that speaks frames, not messages: after doing the HTTP upgrade itself on a plain socket, it
/// sends whatever frame (or broken bytes) a test asks for — any FIN, RSV bits, opcode, masked or not, any declared
/// length — and reports every frame the server sends back as it arrived, plus the moment the server closed TCP.
///
/// It never answers anything by itself (no pong, no close echo): each test decides what the client does.
/// Reads run on a dedicated thread; sends are blocking calls from the caller.
public final class RawFrameSocket: Sendable {
    /// How the TCP connection ended, seen from this side.
    public enum End: Sendable, Equatable {
        /// The server closed (FIN): `recv` returned 0.
        case closedByServer
        /// The connection was reset or failed (errno).
        case failed(Int32)
        /// `close()` was called here.
        case closedHere
    }

    private struct State {
        var frames: [WireFrame] = []
        var cursor = 0
        var end: End?
        /// Bytes after the last complete frame when the connection ended (a truncated frame from the server).
        var trailing = 0
        var stop = false
    }

    private let fd: Int32
    private let state = Mutex(State())
    public let description: String

    /// Connects, completes the upgrade, and starts reading. Bytes that arrive with the `101` response are kept.
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

    // MARK: Reading

    private func readLoop(initial: [UInt8]) {
        var buffer = initial
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var end: End = .closedHere
        while true {
            var parsed: [WireFrame] = []
            var consumed = 0
            while let (frame, length) = Self.decode(buffer[consumed...]) {
                parsed.append(frame)
                consumed += length
            }
            if consumed > 0 { buffer.removeFirst(consumed) }
            let stop = state.withLock { state -> Bool in
                state.frames += parsed
                return state.stop
            }
            if stop { break }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            // EINTR: a process stopped and continued (a paused machine) sees its timed socket calls interrupted.
            if n > 0 {
                buffer += chunk[..<n]
            } else if n == 0 {
                end = .closedByServer
                break
            } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                end = .failed(errno)
                break
            }
        }
        // Frames that were complete when the connection ended were parsed above; what is left is a partial frame.
        state.withLock { state in
            state.trailing = buffer.count
            if state.end == nil { state.end = end }
        }
    }

    /// The first complete frame in `bytes` and its length on the wire, or nil while it is incomplete.
    static func decode(_ bytes: ArraySlice<UInt8>) -> (WireFrame, Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let first = bytes[start]
        let second = bytes[start + 1]
        let masked = second & 0x80 != 0
        var length = UInt64(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = UInt64(bytes[start + 2]) << 8 | UInt64(bytes[start + 3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (2..<10).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[start + $1]) }
            offset = 10
        }
        let maskOffset = offset
        if masked { offset += 4 }
        guard length <= UInt64(Int.max - offset), bytes.count >= offset + Int(length) else { return nil }
        var payload = Array(bytes[(start + offset)..<(start + offset + Int(length))])
        if masked {
            for i in payload.indices { payload[i] ^= bytes[start + maskOffset + i % 4] }
        }
        let frame = WireFrame(fin: first & 0x80 != 0, rsv: (first >> 4) & 0x7, opcode: first & 0x0F, masked: masked, payload: payload)
        return (frame, offset + Int(length))
    }

    /// The next frame from the server not yet returned; nil when the server closed the connection first.
    public func nextFrameOrEnd(timeout: Duration = .seconds(15)) async throws -> WireFrame? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let (frame, ended) = state.withLock { state -> (WireFrame?, Bool) in
                guard state.cursor < state.frames.count else { return (nil, state.end != nil) }
                defer { state.cursor += 1 }
                return (state.frames[state.cursor], false)
            }
            if let frame { return frame }
            if ended { return nil }
            guard clock.now < deadline else { throw TestSupportError("no frame from \(description) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The next frame from the server not yet returned.
    public func nextFrame(timeout: Duration = .seconds(15)) async throws -> WireFrame {
        guard let frame = try await nextFrameOrEnd(timeout: timeout) else {
            throw TestSupportError("\(description) closed while waiting for a frame (\(String(describing: end)))")
        }
        return frame
    }

    /// The next frame that is not a ping from the server (the node's keep-alive pings can come at any time).
    public func nextFrameSkippingPings(timeout: Duration = .seconds(15)) async throws -> WireFrame? {
        while let frame = try await nextFrameOrEnd(timeout: timeout) {
            if frame.opcode != WireFrame.ping { return frame }
        }
        return nil
    }

    /// Waits until the TCP connection has ended; every frame not yet returned, in order.
    public func framesUntilEnd(timeout: Duration = .seconds(15)) async throws -> (frames: [WireFrame], end: End) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let done = state.withLock { state -> ([WireFrame], End)? in
                guard let end = state.end else { return nil }
                defer { state.cursor = state.frames.count }
                return (Array(state.frames[state.cursor...]), end)
            }
            if let done { return done }
            guard clock.now < deadline else {
                let pending = state.withLock { Array($0.frames[$0.cursor...]) }
                throw TestSupportError("\(description) still open after \(timeout); frames so far: \(pending)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// How the connection ended, or nil while it is open.
    public var end: End? { state.withLock { $0.end } }

    /// Bytes of an incomplete frame left over when the connection ended.
    public var trailingBytes: Int { state.withLock { $0.trailing } }

    // MARK: Writing

    /// The bytes of one frame. `masked` uses `maskKey` (random when nil); `declaredLength` writes a length field that
    /// differs from the payload actually appended (a header for a frame never sent in full, or a lie).
    public static func encode(
        fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, masked: Bool = true, payload: [UInt8] = [],
        maskKey: [UInt8]? = nil, declaredLength: UInt64? = nil
    ) -> [UInt8] {
        let finBit: UInt8 = fin ? 0x80 : 0
        var frame: [UInt8] = [finBit | (rsv & 0x7) << 4 | (opcode & 0x0F)]
        let length = declaredLength ?? UInt64(payload.count)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if length < 126 {
            frame.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            frame += [maskBit | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            frame += (0..<8).reversed().map { UInt8((length >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return frame + payload }
        let mask = maskKey ?? (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    /// Sends one frame built by `encode`.
    public func send(
        fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, masked: Bool = true, payload: [UInt8] = [],
        declaredLength: UInt64? = nil
    ) throws {
        try sendRaw(Self.encode(fin: fin, rsv: rsv, opcode: opcode, masked: masked, payload: payload, declaredLength: declaredLength))
    }

    /// Sends one complete, masked text message in one frame.
    public func sendText(_ text: String) throws {
        try send(opcode: WireFrame.text, payload: Array(text.utf8))
    }

    /// A close frame's payload: the code, then the reason's bytes.
    public static func closePayload(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }

    /// Sends bytes as they are.
    public func sendRaw(_ bytes: [UInt8]) throws {
        try RawWebSocketUpgrade.sendAll(fd: fd, bytes)
    }

    /// Stops reading and closes the socket.
    public func close() {
        state.withLock { state in
            state.stop = true
            if state.end == nil { state.end = .closedHere }
        }
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
