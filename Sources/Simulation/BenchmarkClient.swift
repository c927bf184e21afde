import Logging
import NIOCore
import SignalingProtocol
import Synchronization
import WSClient

/// One synthetic signaling client: a WebSocket connection that hands every decoded server message to a handler.
///
/// `run` lives for the connection's life and belongs to its caller's task group (no detached tasks); the
/// handler may answer through `send` from inside the callback.
public final class BenchmarkClient: Sendable {
    public typealias Handler = @Sendable (ServerMessage, BenchmarkClient) async -> Void

    public let index: Int
    private let outbound = Mutex<WebSocketOutboundWriter?>(nil)
    private let userIDBox = Mutex<UserID?>(nil)

    public init(index: Int) {
        self.index = index
    }

    /// The id from this client's last `RoomJoined`.
    public var userID: UserID? { userIDBox.withLock { $0 } }

    public var isConnected: Bool { outbound.withLock { $0 != nil } }

    /// Connects and reads until the connection closes. Returns the server's close code, if any.
    @discardableResult
    public func run(url: String, logger: Logger, handler: @escaping Handler) async throws -> UInt16? {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 1 << 20
        configuration.autoPing = .disabled
        let closeFrame = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) {
            inbound, outbound, _ in
            self.outbound.withLock { $0 = outbound }
            for try await message in inbound.messages(maxSize: 1 << 22) {
                guard case .text(let text) = message, let decoded = try? ServerMessage.decode(text) else { continue }
                if case .roomJoined(_, let userID, _) = decoded { self.userIDBox.withLock { $0 = userID } }
                await handler(decoded, self)
            }
        }
        outbound.withLock { $0 = nil }
        return closeFrame.map { UInt16(webSocketErrorCode: $0.closeCode) }
    }

    public func send(_ message: ClientMessage) async throws {
        guard let writer = outbound.withLock({ $0 }) else { throw SimulationError("client \(index) is not connected") }
        try await writer.write(.text(message.encoded()))
    }

    /// Starts the close handshake; `run` returns once the server answers.
    public func close() async {
        guard let writer = outbound.withLock({ $0 }) else { return }
        try? await writer.close(.normalClosure, reason: nil)
    }
}

public struct SimulationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
