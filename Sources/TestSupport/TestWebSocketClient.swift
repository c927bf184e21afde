import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WSClient

/// A WebSocket client for tests, over swift-websocket's `WSClient`: connect, send text, binary or hand-made
/// frames, and wait (by polling, with a timeout) for messages and for the server's close code.
///
/// Generic on purpose: it knows frames and strings, not the signaling protocol, so any test target can use it.
public final class TestWebSocketClient: Sendable {
    /// A complete message received from the server.
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    private struct State {
        var received: [Message] = []
        var cursor = 0
        var outbound: WebSocketOutboundWriter?
        var ended = false
        var closeCode: UInt16?
        var closeReason: String?
        var failure: String?
        var connected: CheckedContinuation<Void, any Error>?
        var stopReading: CheckedContinuation<Void, Never>?
        var stopRequested = false
    }

    public let url: String
    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(url: String) {
        self.url = url
    }

    /// Connects and returns once the upgrade is done.
    ///
    /// - Parameters:
    ///   - reads: false makes a client that never reads: once NIO's small inbound buffer is full it stops reading
    ///     the socket, so the server sees a peer whose receive window fills up.
    ///   - maxFrameSize: the largest frame accepted from the server.
    public static func connect(
        url: String, reads: Bool = true, maxFrameSize: Int = 1 << 22, timeout: Duration = .seconds(10)
    ) async throws -> TestWebSocketClient {
        let client = TestWebSocketClient(url: url)
        try await client.start(reads: reads, maxFrameSize: maxFrameSize, timeout: timeout)
        return client
    }

    /// `ws://127.0.0.1:port/ws`.
    public static func connect(port: Int, path: String = "/ws", reads: Bool = true) async throws -> TestWebSocketClient {
        try await connect(url: "ws://127.0.0.1:\(port)\(path)", reads: reads)
    }

    deinit {
        task.withLock { $0?.cancel() }
    }

    private func start(reads: Bool, maxFrameSize: Int, timeout: Duration) async throws {
        let url = self.url
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLock { $0.connected = continuation }
            let task = Task { [self] in
                var configuration = WebSocketClientConfiguration()
                configuration.maxFrameSize = maxFrameSize
                configuration.autoPing = .disabled
                configuration.closeTimeout = .seconds(5)
                let logger = Logger(label: "test-ws", factory: { _ in SwiftLogNoOpLogHandler() })
                do {
                    let closeFrame = try await WebSocketClient.connect(
                        url: url, configuration: configuration, logger: logger
                    ) { inbound, outbound, _ in
                        let ready = self.state.withLock { state in
                            state.outbound = outbound
                            defer { state.connected = nil }
                            return state.connected
                        }
                        ready?.resume()
                        if reads {
                            for try await message in inbound.messages(maxSize: .max) {
                                let received: Message =
                                    switch message {
                                    case .text(let text): .text(text)
                                    case .binary(let buffer): .binary(Array(buffer.readableBytesView))
                                    }
                                self.state.withLock { $0.received.append(received) }
                            }
                        } else {
                            await self.waitUntilStopped()
                        }
                    }
                    self.state.withLock { state in
                        state.closeCode = closeFrame.map { UInt16(webSocketErrorCode: $0.closeCode) }
                        state.closeReason = closeFrame?.reason
                    }
                } catch {
                    self.state.withLock { $0.failure = "\(error)" }
                }
                let pending = self.state.withLock { state in
                    state.ended = true
                    defer { state.connected = nil }
                    return state.connected
                }
                pending?.resume(throwing: TestSupportError("cannot connect to \(url): \(self.failure ?? "closed")"))
            }
            self.task.withLock { $0 = task }
        }
    }

    private func waitUntilStopped() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let stopNow = state.withLock { state -> Bool in
                    if state.stopRequested { return true }
                    state.stopReading = continuation
                    return false
                }
                if stopNow { continuation.resume() }
            }
        } onCancel: {
            self.requestStop()
        }
    }

    private func requestStop() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopRequested = true
            defer { state.stopReading = nil }
            return state.stopReading
        }
        waiter?.resume()
    }

    // MARK: Sending

    private var outbound: WebSocketOutboundWriter {
        get throws {
            guard let outbound = state.withLock({ $0.outbound }) else { throw TestSupportError("not connected") }
            return outbound
        }
    }

    public func send(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    public func send(binary bytes: [UInt8]) async throws {
        try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
    }

    /// One raw frame, for fragmentation tests: `opcode` is `.text`, `.binary` or `.continuation`.
    public func send(frame bytes: [UInt8], opcode: WebSocketOpcode, fin: Bool) async throws {
        try await outbound.write(.custom(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))))
    }

    /// Starts the close handshake with `code` and waits for the connection to end.
    public func close(code: UInt16 = 1000, timeout: Duration = .seconds(5)) async {
        requestStop()
        if let outbound = state.withLock({ $0.outbound }) {
            try? await outbound.close(.init(codeNumber: Int(code)), reason: nil)
        }
        _ = try? await waitUntilEnded(timeout: timeout)
        task.withLock { $0?.cancel() }
    }

    // MARK: Receiving

    /// Every message received so far, read or not.
    public var received: [Message] { state.withLock { $0.received } }

    /// The next text message not yet returned by `next`, waiting up to `timeout`.
    public func next(timeout: Duration = .seconds(15)) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let (message, ended) = state.withLock { state -> (Message?, Bool) in
                guard state.cursor < state.received.count else { return (nil, state.ended) }
                defer { state.cursor += 1 }
                return (state.received[state.cursor], false)
            }
            switch message {
            case .text(let text)?: return text
            case .binary?: throw TestSupportError("expected a text message from \(url), got a binary one")
            case nil: break
            }
            if ended { throw TestSupportError("connection to \(url) ended (close \(closeCode.map(String.init) ?? "none")) while waiting for a message") }
            guard clock.now < deadline else { throw TestSupportError("no message from \(url) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Messages received but not yet returned by `next`.
    public var unread: [Message] {
        state.withLock { Array($0.received[$0.cursor...]) }
    }

    /// Waits until the connection has ended; returns the server's close code (nil if it sent none).
    @discardableResult
    public func waitUntilEnded(timeout: Duration = .seconds(15)) async throws -> UInt16? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !state.withLock({ $0.ended }) {
            guard clock.now < deadline else { throw TestSupportError("connection to \(url) still open after \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
        return closeCode
    }

    public var hasEnded: Bool { state.withLock { $0.ended } }
    public var closeCode: UInt16? { state.withLock { $0.closeCode } }
    public var closeReason: String? { state.withLock { $0.closeReason } }
    /// Why connecting or the connection failed, if it did.
    public var failure: String? { state.withLock { $0.failure } }
}
