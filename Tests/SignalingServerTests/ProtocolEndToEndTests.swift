import SignalingProtocol
import Testing
import TestSupport
@testable import SignalingServer

/// Every message type over a real WebSocket (PROTOCOL.md §1).
@Suite("Protocol end to end", .timeLimit(.minutes(1)))
struct ProtocolEndToEndTests {
    @Test func joinRelayLeaveWithExactBytes() async throws {
        try await withNode { node in
            let alice = try await node.client()
            let bob = try await node.client()
            let (aliceID, aliceSees) = try await alice.join("room123", as: "alice")
            #expect(aliceSees.isEmpty)
            let (bobID, bobSees) = try await bob.join("room123", as: "  bob ")
            #expect(bobSees == [Participant(userID: aliceID, username: "alice")])
            #expect(aliceID != bobID)
            #expect(try await alice.nextText() == #"{"type":"UserJoined","room_name":"room123","user":{"user_id":\#(bobID),"username":"bob"}}"#)

            // A spoofed from_user_id is ignored; the SDP arrives byte for byte.
            try await bob.send(raw: #"{"type":"Offer","room_name":"room123","sdp":"v=0\r\no=bob é😀","target_user_id":\#(aliceID),"from_user_id":999}"#)
            #expect(try await alice.nextText() == #"{"type":"Offer","room_name":"room123","from_user_id":\#(bobID),"sdp":"v=0\r\no=bob é😀"}"#)

            try await alice.send(.answer(room: "room123", sdp: "v=0\r\no=alice", target: bobID))
            #expect(try await bob.nextText() == #"{"type":"Answer","room_name":"room123","from_user_id":\#(aliceID),"sdp":"v=0\r\no=alice"}"#)

            // IceCandidate: omitted sdp_mid/sdp_mline_index relayed as null, username_fragment only when given,
            // the empty end-of-candidates marker relayed like any other.
            try await bob.send(raw: #"{"type":"IceCandidate","room_name":"room123","candidate":"candidate:1 1 UDP 1 1.2.3.4 5 typ host","target_user_id":\#(aliceID)}"#)
            #expect(try await alice.nextText() == #"{"type":"IceCandidate","room_name":"room123","from_user_id":\#(bobID),"candidate":"candidate:1 1 UDP 1 1.2.3.4 5 typ host","sdp_mid":null,"sdp_mline_index":null}"#)
            try await bob.send(raw: #"{"type":"IceCandidate","room_name":"room123","candidate":"c","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"uf","target_user_id":\#(aliceID)}"#)
            #expect(try await alice.nextText() == #"{"type":"IceCandidate","room_name":"room123","from_user_id":\#(bobID),"candidate":"c","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"uf"}"#)
            try await bob.send(.iceCandidate(room: "room123", candidate: IceCandidate(candidate: ""), target: aliceID))
            #expect(try await alice.next() == .iceCandidate(room: "room123", from: bobID, candidate: IceCandidate(candidate: "")))

            try await bob.send(.leave(room: "room123"))
            #expect(try await bob.nextText() == #"{"type":"RoomLeft","room_name":"room123"}"#)
            #expect(try await alice.nextText() == #"{"type":"UserLeft","room_name":"room123","user_id":\#(bobID)}"#)
            await alice.close()
            await bob.close()
        }
    }

    @Test func participantsAreEveryoneElseSortedByID() async throws {
        try await withNode { node in
            var clients: [SignalClient] = []
            var ids: [UserID] = []
            for name in ["u1", "u2", "u3"] {
                let client = try await node.client()
                ids.append(try await client.join("r", as: name).userID)
                clients.append(client)
            }
            let late = try await node.client()
            let (lateID, participants) = try await late.join("r", as: "late")
            #expect(participants.map(\.userID) == ids.sorted())
            #expect(!participants.contains { $0.userID == lateID })
            for client in clients { await client.close() }
            await late.close()
        }
    }

    @Test func closingTheSocketIsALeave() async throws {
        try await withNode { node in
            let alice = try await node.client()
            let bob = try await node.client()
            _ = try await alice.join("r", as: "alice")
            let bobID = try await bob.join("r", as: "bob").userID
            _ = try await alice.next()  // UserJoined
            await bob.close()
            #expect(try await alice.next() == .userLeft(room: "r", userID: bobID))
            // The room is empty of bob: a relay to him now fails.
            try await alice.send(.offer(room: "r", sdp: "x", target: bobID))
            try await alice.expectError(.targetNotFound)
            await alice.close()
        }
    }

    @Test func aConnectionKeepsItsUserIDAcrossLeaveAndJoin() async throws {
        try await withNode { node in
            let client = try await node.client()
            let first = try await client.join("a", as: "x").userID
            try await client.send(.leave(room: "a"))
            #expect(try await client.next() == .roomLeft(room: "a"))
            let second = try await client.join("b", as: "x").userID
            #expect(first == second)
            await client.close()
        }
    }

    @Test func relayToSomeoneInAnotherRoomIsTargetNotFoundAndNothingIsDelivered() async throws {
        try await withNode { node in
            let alice = try await node.client()
            let bob = try await node.client()
            let carol = try await node.client()
            let aliceID = try await alice.join("room1", as: "alice").userID
            let bobID = try await bob.join("room2", as: "bob").userID
            let carolID = try await carol.join("room2", as: "carol").userID
            _ = try await bob.next()  // UserJoined carol

            try await alice.send(.offer(room: "room1", sdp: "secret", target: bobID))
            try await alice.expectError(.targetNotFound)
            // Naming bob's room does not help: alice is not in it.
            try await alice.send(.offer(room: "room2", sdp: "secret", target: bobID))
            try await alice.expectError(.notInRoom)
            // To oneself.
            try await alice.send(.offer(room: "room1", sdp: "x", target: aliceID))
            try await alice.expectError(.targetNotFound)
            // Absent.
            try await alice.send(.offer(room: "room1", sdp: "x", target: 424_242))
            try await alice.expectError(.targetNotFound)

            // Bob's next message is carol's, not alice's: nothing of alice's was delivered.
            try await carol.send(.offer(room: "room2", sdp: "from carol", target: bobID))
            #expect(try await bob.next() == .offer(room: "room2", from: carolID, sdp: "from carol"))
            #expect(bob.socket.unread.isEmpty)
            await alice.close()
            await bob.close()
            await carol.close()
        }
    }
}
