import Foundation
import Logging
import NIOCore
import SignalingProtocol

/// The protocol logic of one connection: rate limit, decoding, and the checks of PROTOCOL.md §1 in the contract's
/// order — shape and names (done by `ClientMessage.decode`), then token, room state, target.
///
/// It sees complete messages, never frames or sockets (that is `WebSocketController`'s job), and it talks to the
/// node through `RoomHub` and `ClusterBridge` only. One session per connection, driven by that connection's reader
/// alone, so its own state needs no lock.
final class Session {
    /// What the connection does after a message.
    enum Disposition: Equatable {
        case keepOpen
        /// Close with this code after the queued frames (the `Error` explaining why goes first).
        case close(code: UInt16, reason: String)
    }

    let connection: Connection
    let node: SignalingNode
    private var rateLimiter: RateLimiter
    /// Set by the first successful identification and never changed (a connection is one user for life).
    private(set) var userID: UserID?
    private var logger: Logger

    init(connection: Connection, node: SignalingNode) {
        self.connection = connection
        self.node = node
        self.rateLimiter = RateLimiter(
            ratePerSecond: node.configuration.rateLimit, burst: node.configuration.rateLimitBurst)
        self.logger = connection.logger
    }

    // MARK: Messages

    /// A complete text message.
    func receiveText(_ bytes: ByteBuffer, at receivedAt: ContinuousClock.Instant) async -> Disposition {
        if let limited = rateLimit(at: receivedAt) { return limited }
        let decoded = bytes.withUnsafeReadableBytes { buffer in
            Result { () throws(ProtocolError) -> ClientMessage in try ClientMessage.decode(buffer) }
        }
        switch decoded {
        case .failure(let error):
            connection.send(.error(error))
            return error.code == .tooLarge ? tooLarge() : .keepOpen
        case .success(let message):
            node.metrics.received(ClientMessageKind(message))
            await handle(message, receivedAt: receivedAt)
            return .keepOpen
        }
    }

    /// A complete binary message: outside the protocol, answered with `bad_message`.
    func receiveBinary(at receivedAt: ContinuousClock.Instant) -> Disposition {
        if let limited = rateLimit(at: receivedAt) { return limited }
        node.metrics.received(.binary)
        connection.send(.error(.binaryMessage))
        return .keepOpen
    }

    /// A message over the size limit (text or binary): `too_large`, then close 1009.
    func receiveOversized() -> Disposition {
        connection.send(.error(ProtocolError(
            code: .tooLarge, message: "message is larger than \(node.configuration.maxMessageBytes) bytes")))
        return tooLarge()
    }

    private func tooLarge() -> Disposition {
        node.metrics.oversizedDisconnects.increment()
        logger.notice("oversized message; closing")
        return .close(code: CloseCode.messageTooLarge, reason: "message too large")
    }

    private func rateLimit(at now: ContinuousClock.Instant) -> Disposition? {
        switch rateLimiter.admit(at: now) {
        case .accept:
            return nil
        case .reject:
            connection.send(.error(.rateLimited))
            return .keepOpen
        case .rejectAndClose:
            connection.send(.error(.rateLimited))
            node.metrics.rateLimitDisconnects.increment()
            logger.notice("sustained flooding past the rate limit; closing")
            return .close(code: CloseCode.policyViolation, reason: "rate limit exceeded")
        }
    }

    private func handle(_ message: ClientMessage, receivedAt: ContinuousClock.Instant) async {
        switch message {
        case .join(let room, let username, let token):
            await join(room: room, username: username, token: token)
        case .leave(let room):
            await leave(room: room)
        case .offer(let room, _, let target), .answer(let room, _, let target), .iceCandidate(let room, _, let target):
            await relay(message, room: room, target: target, receivedAt: receivedAt)
        }
    }

    // MARK: Join

    private func join(room: String, username: String, token: String?) async {
        var username = username
        var tokenUserID: UserID?
        // Token.
        if let verifier = node.verifier {
            guard let token else {
                connection.send(.error(.unauthorized("Join needs a token")))
                return
            }
            switch await verifier.verify(token, room: room) {
            case .failure(let error):
                connection.send(.error(error))
                return
            case .success(let identity):
                if let userID, userID != identity.userID {
                    connection.send(.error(.unauthorized("token is for another user than this connection's")))
                    return
                }
                tokenUserID = identity.userID
                if let name = identity.username { username = name }
            }
        }
        // Room state.
        if let current = node.hub.room(of: connection) {
            connection.send(.error(.alreadyInRoom(current)))
            return
        }
        // Identity, once per connection.
        if userID == nil {
            guard let assigned = await identify(tokenUserID: tokenUserID) else { return }
            userID = assigned
        }
        guard let userID else { return }

        let member = RoomMember(
            userID: userID, username: username, room: room, connectionID: connection.id, joinedAt: Date())
        switch node.hub.beginJoin(connection, as: member) {
        case .gone:
            return
        case .rejected(let error):
            connection.send(.error(error))
            return
        case .started:
            break
        }
        let remote: [Participant]
        do {
            remote = try await node.bridge.register(member)
        } catch {
            node.hub.abortJoin(connection, as: member)
            connection.send(.error(error))
            return
        }
        if node.hub.completeJoin(connection, as: member, remote: remote) {
            logger.debug("joined room", metadata: ["room.id": .string(room)])
        } else {
            await node.bridge.unregister(member)
        }
    }

    /// Binds the connection to its user id: the token's `sub`, replacing an older connection of the same user, or
    /// a fresh id from the cluster seam.
    private func identify(tokenUserID: UserID?) async -> UserID? {
        let userID: UserID
        if let tokenUserID {
            userID = tokenUserID
            for member in node.hub.bind(connection, to: userID) {
                await node.bridge.unregister(member)
            }
            await node.bridge.claim(userID: userID, connectionID: connection.id)
        } else {
            do {
                userID = try await node.bridge.nextUserID()
            } catch {
                logger.error("no user id available", metadata: ["error": .string("\(error)")])
                connection.send(.error(.serverBusy("no user id available; try again later")))
                return nil
            }
            _ = node.hub.bind(connection, to: userID)
        }
        logger[metadataKey: "user.id"] = .stringConvertible(userID)
        return userID
    }

    // MARK: Leave

    private func leave(room: String) async {
        switch node.hub.leave(connection, room: room) {
        case .failure(let error):
            connection.send(.error(error))
        case .success(let member):
            await node.bridge.unregister(member)
            connection.send(.roomLeft(room: room))
            logger.debug("left room", metadata: ["room.id": .string(room)])
        }
    }

    // MARK: Relay

    private func relay(
        _ message: ClientMessage, room: String, target: UserID, receivedAt: ContinuousClock.Instant
    ) async {
        guard let userID, let relayed = message.relayed(from: userID) else {
            connection.send(.error(.notInRoom(room)))
            return
        }
        let bytes = Connection.encode(relayed)
        let kind = ServerMessageKind(relayed)
        switch node.hub.route(from: connection, room: room, to: target, bytes, kind: kind, receivedAt: receivedAt) {
        case .delivered:
            return
        case .rejected(let error):
            connection.send(.error(error))
        case .remote:
            let signal = RelaySignal(room: room, from: userID, to: target, message: relayed, receivedAt: receivedAt)
            switch await node.bridge.relay(signal) {
            case .delivered:
                return
            case .targetNotFound:
                connection.send(.error(.targetNotFound(target, room: room)))
            case .unavailable:
                connection.send(.error(.serverBusy("cannot reach the cluster to relay to user \(target)")))
            }
        }
    }

    // MARK: Close

    /// The socket is gone, for whatever reason: an implicit `Leave`.
    func disconnected() async {
        if let member = node.hub.remove(connection) {
            await node.bridge.unregister(member)
        }
    }
}
