import Foundation
import Logging
import NIOCore
import SignalingProtocol

/// The protocol logic of one connection: rate limit, decoding, and the checks of PROTOCOL.md §1 in the contract's
/// order — shape and names (done by `ClientMessage.decode`), then token, room state, target.
///
/// It sees complete messages, never frames or sockets (that is `WebSocketConnectionHandler`'s job), and it talks to
/// the node through `RoomHub` and `ClusterBridge` only. What needs no other process (checks, errors, relays between
/// users of this node) is decided at once, on the connection's event loop; what needs the cluster (a join, a leave
/// in cluster mode, a relay to another node) comes back as a `.later` step, during which the handler holds the
/// connection's next messages back.
///
/// One session per connection. Its state is touched by one party at a time, never two: the connection's event
/// loop, or the single `.later` step it has started and waits for; hence `@unchecked Sendable`.
final class Session: @unchecked Sendable {
    /// What the connection does after a message.
    enum Disposition: Equatable, Sendable {
        case keepOpen
        /// Close with this code after the queued frames (the `Error` explaining why goes first).
        case close(code: UInt16, reason: String)
    }

    /// A message's handling: finished, or a step to finish before the connection's next message — an async
    /// function, or work already started that calls back once (on any thread) when it is done.
    enum Step {
        case done(Disposition)
        case later(@Sendable () async -> Disposition)
        case started((@escaping @Sendable (Disposition) -> Void) -> Void)
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
    func receiveText(_ bytes: ByteBuffer, at receivedAt: ContinuousClock.Instant) -> Step {
        if let limited = rateLimit(at: receivedAt) { return .done(limited) }
        let decoded = bytes.withUnsafeReadableBytes { buffer in
            Result { () throws(ProtocolError) -> ClientMessage in try ClientMessage.decode(buffer) }
        }
        switch decoded {
        case .failure(let error):
            connection.send(.error(error))
            return .done(error.code == .tooLarge ? tooLarge() : .keepOpen)
        case .success(let message):
            node.metrics.received(ClientMessageKind(message))
            return handle(message, receivedAt: receivedAt)
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

    private func handle(_ message: ClientMessage, receivedAt: ContinuousClock.Instant) -> Step {
        switch message {
        case .join(let room, let username, let token):
            if joinWithoutWaiting(room: room, username: username, token: token) { return .done(.keepOpen) }
            return .later {
                await self.join(room: room, username: username, token: token)
                return .keepOpen
            }
        case .leave(let room):
            return leave(room: room)
        case .offer(let room, _, let target), .answer(let room, _, let target), .iceCandidate(let room, _, let target):
            return relay(message, room: room, target: target, receivedAt: receivedAt)
        }
    }

    // MARK: Join

    /// Runs a `JoinAttempt`: performs each step it returns and feeds the outcome back, until a final step.
    private func join(room: String, username: String, token: String?) async {
        var attempt = JoinAttempt(room: room, username: username, token: token, authenticating: node.verifier != nil,
                                  userID: userID, connectionID: connection.id)
        var step = attempt.start()
        while let waiting = performLocalSteps(from: step, of: &attempt, room: room) {
            switch waiting {
            case .verifyToken(let token):
                guard let verifier = node.verifier else { return }
                step = attempt.tokenChecked(await verifier.verify(token, room: room))
            case .identify(let tokenUserID):
                let assigned = await identify(tokenUserID: tokenUserID)
                if let assigned { userID = assigned }
                step = attempt.identified(assigned, now: Date())
            case .register(let member):
                do {
                    step = attempt.registered(.success(try await node.bridge.register(member)))
                } catch {
                    step = attempt.registered(.failure(error))
                }
            case .unregister(let member):
                await node.bridge.unregister(member)
                return
            default:
                return
            }
        }
    }

    /// A join decided entirely on the connection's event loop: a standalone node without tokens has nothing to wait
    /// for (its ids come from a counter, registration and unregistration do nothing). False, with nothing done,
    /// when this join needs the async path.
    private func joinWithoutWaiting(room: String, username: String, token: String?) -> Bool {
        guard node.verifier == nil, node.bridge is LocalBridge else { return false }
        var fresh: UserID?
        if userID == nil {
            do {
                guard let id = try node.bridge.nextUserIDNow() else { return false }
                fresh = id
            } catch {
                return false  // the async path reports it
            }
        }
        var attempt = JoinAttempt(room: room, username: username, token: token, authenticating: false,
                                  userID: userID, connectionID: connection.id)
        var step = attempt.start()
        while let waiting = performLocalSteps(from: step, of: &attempt, room: room) {
            switch waiting {
            case .identify(nil):
                guard let id = fresh else { return true }
                fresh = nil
                _ = node.hub.bind(connection, to: id)
                logger[metadataKey: "user.id"] = .stringConvertible(id)
                userID = id
                step = attempt.identified(id, now: Date())
            case .register:
                step = attempt.registered(.success([]))
            default:
                // Nothing else is asked of a standalone node without tokens (`unregister` follows a registration
                // that did nothing).
                return true
            }
        }
        return true
    }

    /// Performs the steps that never wait (room check, the hub's half-join and completion, the final steps), from
    /// `step` on; returns the first step that may wait, or nil once the attempt is over.
    private func performLocalSteps(from step: JoinAttempt.Step, of attempt: inout JoinAttempt, room: String)
        -> JoinAttempt.Step?
    {
        var step = step
        while true {
            switch step {
            case .checkRoom:
                step = attempt.roomChecked(current: node.hub.room(of: connection), now: Date())
            case .begin(let member):
                step = attempt.began(node.hub.beginJoin(connection, as: member))
            case .complete(let member, let remote):
                step = attempt.completed(node.hub.completeJoin(connection, as: member, remote: remote))
            case .fail(let error):
                connection.send(.error(error))
                return nil
            case .abort(let member, let error):
                node.hub.abortJoin(connection, as: member)
                connection.send(.error(error))
                return nil
            case .joined:
                logger.debug("joined room", metadata: ["room.id": .string(room)])
                return nil
            case .stop:
                return nil
            case .verifyToken, .identify, .register, .unregister:
                return step
            }
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

    /// Local room-mates are told at once; in cluster mode `RoomLeft` waits for the cluster's record to be gone, so
    /// a `Join` that follows cannot overtake the removal.
    private func leave(room: String) -> Step {
        switch node.hub.leave(connection, room: room) {
        case .failure(let error):
            connection.send(.error(error))
            return .done(.keepOpen)
        case .success(let member):
            let finish: @Sendable () -> Void = { [connection, logger] in
                connection.send(.roomLeft(room: room))
                logger.debug("left room", metadata: ["room.id": .string(room)])
            }
            guard !(node.bridge is LocalBridge) else {
                finish()
                return .done(.keepOpen)
            }
            return .later {
                await self.node.bridge.unregister(member)
                finish()
                return .keepOpen
            }
        }
    }

    // MARK: Relay

    private func relay(
        _ message: ClientMessage, room: String, target: UserID, receivedAt: ContinuousClock.Instant
    ) -> Step {
        guard let userID, let relayed = message.relayed(from: userID) else {
            connection.send(.error(.notInRoom(room)))
            return .done(.keepOpen)
        }
        let frame = Connection.encode(relayed)
        let kind = ServerMessageKind(relayed)
        switch node.hub.route(from: connection, room: room, to: target, frame, kind: kind, receivedAt: receivedAt) {
        case .delivered:
            return .done(.keepOpen)
        case .rejected(let error):
            connection.send(.error(error))
            return .done(.keepOpen)
        case .remote:
            // Handed to Redis at once, on this event loop; the connection's next message waits for the outcome,
            // so an error still answers the message it is about before anything later is answered.
            let signal = RelaySignal(room: room, from: userID, to: target, message: relayed, receivedAt: receivedAt)
            return .started { [node, connection] finished in
                node.bridge.relay(signal) { outcome in
                    switch outcome {
                    case .delivered:
                        break
                    case .targetNotFound:
                        connection.send(.error(.targetNotFound(target, room: room)))
                    case .unavailable:
                        connection.send(.error(.serverBusy("cannot reach the cluster to relay to user \(target)")))
                    }
                    finished(.keepOpen)
                }
            }
        }
    }

    // MARK: Close

    /// The socket is gone, for whatever reason: an implicit `Leave`. Room-mates on this node are told at once; the
    /// returned step tells the cluster.
    func disconnected() -> (@Sendable () async -> Void)? {
        guard let member = node.hub.remove(connection), !(node.bridge is LocalBridge) else { return nil }
        return { [node] in await node.bridge.unregister(member) }
    }
}
