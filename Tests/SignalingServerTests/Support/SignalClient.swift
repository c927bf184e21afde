import Foundation
import SignalingProtocol
import Testing
import TestSupport

/// A signaling client for tests: `TestWebSocketClient` plus the protocol's encoding and decoding.
struct SignalClient: Sendable {
    let socket: TestWebSocketClient

    init(_ socket: TestWebSocketClient) {
        self.socket = socket
    }

    func send(_ message: ClientMessage) async throws {
        try await socket.send(message.encoded())
    }

    func send(raw text: String) async throws {
        try await socket.send(text)
    }

    /// The next message from the node, decoded (a decoding failure fails the test: the node broke the contract).
    func next(timeout: Duration = .seconds(15)) async throws -> ServerMessage {
        let text = try await socket.next(timeout: timeout)
        do {
            return try ServerMessage.decode(text)
        } catch {
            throw TestSupportError("undecodable message from the node: \(text) (\(error))")
        }
    }

    /// The next message's raw text.
    func nextText(timeout: Duration = .seconds(15)) async throws -> String {
        try await socket.next(timeout: timeout)
    }

    /// Expects an `Error` with `code` next.
    @discardableResult
    func expectError(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProtocolError {
        let message = try await next()
        guard case .error(let error) = message else {
            Issue.record("expected Error \(code.rawValue), got \(message)", sourceLocation: sourceLocation)
            throw TestSupportError("unexpected message")
        }
        #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
        return error
    }

    /// Joins and returns the `RoomJoined` contents.
    @discardableResult
    func join(_ room: String, as username: String, token: String? = nil) async throws -> (userID: UserID, participants: [Participant]) {
        try await send(.join(room: room, username: username, token: token))
        let message = try await next()
        guard case .roomJoined(let joinedRoom, let userID, let participants) = message, joinedRoom == room else {
            throw TestSupportError("expected RoomJoined for \(room), got \(message)")
        }
        return (userID, participants)
    }

    func close() async {
        await socket.close()
    }

    /// Waits for the server to close the connection; its close code. The default is a bound for a failing test, long
    /// enough that a stalled machine does not fail a passing one.
    func closeCode(timeout: Duration = .seconds(20)) async throws -> UInt16? {
        try await socket.waitUntilEnded(timeout: timeout)
    }
}
