import Foundation
import SignalingProtocol
import Testing
@testable import SignalingServer

/// A `Join`'s decisions without a node: the contract's check order and the undo each failure needs.
@Suite("Join attempt state machine")
struct JoinAttemptTests {
    static let connection = UUID()
    static let now = Date(timeIntervalSince1970: 1_704_110_400)

    static func member(_ user: UserID, username: String = "alice") -> RoomMember {
        RoomMember(userID: user, username: username, room: "r", connectionID: connection, joinedAt: now)
    }

    /// What the node answers at each step, and what the attempt should end with.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var authenticating = false
        var token: String? = nil
        var connectionUserID: UserID? = nil
        var identity: Result<TokenIdentity, ProtocolError> = .failure(.unauthorized("unused"))
        var currentRoom: String? = nil
        var assigned: UserID? = 7
        var hub: RoomHub.JoinStart = .started
        var registration: Result<[Participant], ProtocolError> = .success([])
        var completes = true
        var steps: [String]
        var end: JoinAttempt.Step
        var testDescription: String { name }
    }

    static let busy = ProtocolError.serverBusy("cannot register")

    static let cases: [Case] = [
        Case(name: "joins with a fresh id", steps: ["checkRoom", "identify", "begin", "register", "complete"],
             end: .joined(member(7))),
        Case(name: "a later join keeps the connection's id", connectionUserID: 3,
             steps: ["checkRoom", "begin", "register", "complete"], end: .joined(member(3))),
        Case(name: "already in a room", currentRoom: "other", steps: ["checkRoom"], end: .fail(.alreadyInRoom("other"))),
        Case(name: "no id available", assigned: nil, steps: ["checkRoom", "identify"], end: .stop),
        Case(name: "the connection went away before the hub took it", hub: .gone,
             steps: ["checkRoom", "identify", "begin"], end: .stop),
        Case(name: "the hub refuses (joined elsewhere meanwhile)", hub: .rejected(.alreadyInRoom("other")),
             steps: ["checkRoom", "identify", "begin"], end: .fail(.alreadyInRoom("other"))),
        // Undo 1: the registration failed, the hub's half-join is taken back.
        Case(name: "registration fails", registration: .failure(busy),
             steps: ["checkRoom", "identify", "begin", "register"], end: .abort(member(7), busy)),
        // Undo 2: the member left or was replaced while registering, its registration is taken back.
        Case(name: "left while registering", completes: false,
             steps: ["checkRoom", "identify", "begin", "register", "complete"], end: .unregister(member(7))),
        Case(name: "token missing", authenticating: true, steps: [], end: .fail(.unauthorized("Join needs a token"))),
        Case(name: "token refused", authenticating: true, token: "t", identity: .failure(.unauthorized("expired")),
             steps: ["verifyToken"], end: .fail(.unauthorized("expired"))),
        Case(name: "token for another user than the connection's", authenticating: true, token: "t", connectionUserID: 3,
             identity: .success(TokenIdentity(userID: 4, username: nil)), steps: ["verifyToken"],
             end: .fail(.unauthorized("token is for another user than this connection's"))),
        Case(name: "token's name claim wins", authenticating: true, token: "t",
             identity: .success(TokenIdentity(userID: 9, username: "carol")), assigned: 9,
             steps: ["verifyToken", "checkRoom", "identify:9", "begin", "register", "complete"],
             end: .joined(member(9, username: "carol"))),
        Case(name: "token checked before room state", authenticating: true, token: "t",
             identity: .failure(.unauthorized("forged")), currentRoom: "other", steps: ["verifyToken"],
             end: .fail(.unauthorized("forged"))),
    ]

    @Test(arguments: cases)
    func aJoin(_ join: Case) {
        var attempt = JoinAttempt(room: "r", username: "alice", token: join.token, authenticating: join.authenticating,
                                  userID: join.connectionUserID, connectionID: Self.connection)
        var steps: [String] = []
        var step = attempt.start()
        for _ in 0..<10 {
            switch step {
            case .verifyToken:
                steps.append("verifyToken")
                step = attempt.tokenChecked(join.identity)
            case .checkRoom:
                steps.append("checkRoom")
                step = attempt.roomChecked(current: join.currentRoom, now: Self.now)
            case .identify(let tokenUserID):
                steps.append(tokenUserID.map { "identify:\($0)" } ?? "identify")
                step = attempt.identified(join.assigned, now: Self.now)
            case .begin:
                steps.append("begin")
                step = attempt.began(join.hub)
            case .register:
                steps.append("register")
                step = attempt.registered(join.registration)
            case .complete:
                steps.append("complete")
                step = attempt.completed(join.completes)
            case .fail, .abort, .unregister, .joined, .stop:
                #expect(steps == join.steps)
                #expect(step == join.end)
                return
            }
        }
        Issue.record("no final step")
    }

    @Test func theIdentityAssignedSticksToTheAttempt() {
        var attempt = JoinAttempt(room: "r", username: "alice", token: nil, authenticating: false, userID: nil,
                                  connectionID: Self.connection)
        #expect(attempt.roomChecked(current: nil, now: Self.now) == .identify(tokenUserID: nil))
        #expect(attempt.identified(5, now: Self.now) == .begin(Self.member(5)))
        #expect(attempt.userID == 5)
        #expect(attempt.member == Self.member(5))
    }
}
