import Foundation
import SignalingProtocol
import Testing
import TestSupport
@testable import SignalingServer

@Suite("Authentication and replacement end to end", .timeLimit(.minutes(1)))
struct AuthEndToEndTests {
    let withAuth: (inout NodeConfiguration) -> Void = { $0.jwtSecret = TestTokens.secret }

    @Test func acceptedTokenSetsIDAndName() async throws {
        try await withNode(withAuth) { node in
            let alice = try await node.client()
            let (id, _) = try await alice.join("room1", as: "ignored", token: TestTokens.valid(sub: 1001, room: "room1", name: "Alice"))
            #expect(id == 1001)
            let bob = try await node.client()
            let (bobID, participants) = try await bob.join("room1", as: "bob", token: TestTokens.valid(sub: 1002))
            #expect(bobID == 1002)
            #expect(participants == [Participant(userID: 1001, username: "Alice")])
            // A number sub works too.
            let carol = try await node.client()
            let numeric = TestTokens.make(#"{"sub":1003}"#)
            #expect(try await carol.join("room1", as: "carol", token: numeric).userID == 1003)
            await alice.close()
            await bob.close()
            await carol.close()
        }
    }

    @Test func missingForgedExpiredAndWrongRoomAreUnauthorized() async throws {
        try await withNode(withAuth) { node in
            let client = try await node.client()
            let now = Int(Date().timeIntervalSince1970)
            for token in [
                nil,
                TestTokens.valid(sub: 7, secret: "forged"),
                TestTokens.make(#"{"sub":"7","exp":\#(now - 60)}"#),
                TestTokens.valid(sub: 7, room: "elsewhere"),
                TestTokens.make(#"{"sub":7.0}"#),
                TestTokens.make(#"{"sub":"7"}"#, header: #"{"alg":"HS384"}"#),
            ] {
                try await client.send(.join(room: "room1", username: "x", token: token))
                try await client.expectError(.unauthorized)
            }
            // Expired 5 s ago is within the 30 s leeway. Dated from now, not from the start of the test, so that the
            // time the checks above took cannot push it out of the leeway.
            let recent = TestTokens.make(#"{"sub":"7","exp":\#(Int(Date().timeIntervalSince1970) - 5)}"#)
            #expect(try await client.join("room1", as: "x", token: recent).userID == 7)
            await client.close()
        }
    }

    @Test func tokenIsCheckedBeforeRoomState() async throws {
        try await withNode(withAuth) { node in
            let client = try await node.client()
            _ = try await client.join("room1", as: "x", token: TestTokens.valid(sub: 8))
            try await client.send(.join(room: "room1", username: "x", token: "garbage"))
            try await client.expectError(.unauthorized)
            try await client.send(.join(room: "room1", username: "x", token: TestTokens.valid(sub: 8)))
            try await client.expectError(.alreadyInRoom)
            await client.close()
        }
    }

    @Test func aLaterJoinMustCarryATokenForTheSameSub() async throws {
        try await withNode(withAuth) { node in
            let client = try await node.client()
            _ = try await client.join("a", as: "x", token: TestTokens.valid(sub: 9))
            try await client.send(.leave(room: "a"))
            _ = try await client.next()
            try await client.send(.join(room: "b", username: "x", token: TestTokens.valid(sub: 10)))
            try await client.expectError(.unauthorized)
            #expect(try await client.join("b", as: "x", token: TestTokens.valid(sub: 9)).userID == 9)
            await client.close()
        }
    }

    @Test func theNewerConnectionOfAUserWins() async throws {
        try await withNode(withAuth) { node in
            let old = try await node.client()
            let mate = try await node.client()
            _ = try await old.join("room1", as: "alice", token: TestTokens.valid(sub: 42))
            _ = try await mate.join("room1", as: "mate", token: TestTokens.valid(sub: 43))
            _ = try await old.next()  // UserJoined mate

            let new = try await node.client()
            let (id, participants) = try await new.join("room1", as: "alice", token: TestTokens.valid(sub: 42))
            #expect(id == 42)
            #expect(participants == [Participant(userID: 43, username: "mate")])
            try await old.expectError(.replaced)
            #expect(try await old.closeCode() == CloseCode.replaced)
            #expect(try await mate.next() == .userLeft(room: "room1", userID: 42))
            #expect(try await mate.next() == .userJoined(room: "room1", user: Participant(userID: 42, username: "alice")))
            // Relays reach the new connection.
            try await mate.send(.offer(room: "room1", sdp: "hi", target: 42))
            #expect(try await new.next() == .offer(room: "room1", from: 43, sdp: "hi"))
            try await eventually("two connections counted") { node.node.hub.connectionCount == 2 }
            await new.close()
            await mate.close()
        }
    }

    @Test func withoutASecretTokensAreIgnored() async throws {
        try await withNode { node in
            let client = try await node.client()
            let (id, _) = try await client.join("r", as: "x", token: "whatever")
            #expect(id >= 1)
            await client.close()
        }
    }
}
