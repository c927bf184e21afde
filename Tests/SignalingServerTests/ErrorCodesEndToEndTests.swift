import SignalingProtocol
import Testing
import TestSupport
@testable import SignalingServer

/// Every error code of PROTOCOL.md's table, produced over a real WebSocket, in the contract's check order; a bad
/// message never closes the connection.
@Suite("Error codes end to end", .timeLimit(.minutes(1)))
struct ErrorCodesEndToEndTests {
    @Test func badMessage() async throws {
        try await withNode { node in
            let client = try await node.client()
            for text in [
                "not json", "[1,2]", "42", #"{"type":"Dance","room_name":"r"}"#, #"{"room_name":"r"}"#,
                #"{"type":"Join","room_name":"r"}"#, #"{"type":"Join","room_name":5,"username":"x"}"#,
                #"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":"2"}"#,
                #"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":2.0}"#,
                #"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":0}"#,
                #"{"type":"Offer","room_name":"r","sdp":"x","target_user_id":9007199254740992}"#,
                // Shape before names: a mistyped field wins over a bad room name.
                #"{"type":"Offer","room_name":"bad name","sdp":7,"target_user_id":1}"#,
            ] {
                try await client.send(raw: text)
                try await client.expectError(.badMessage)
            }
            try await client.socket.send(binary: [1, 2, 3])
            let binary = try await client.expectError(.badMessage)
            #expect(binary.message.contains("binary"))
            // Still open and serving.
            _ = try await client.join("r", as: "still-here")
            await client.close()
        }
    }

    @Test func invalidNamesBeforeRoomState() async throws {
        try await withNode { node in
            let client = try await node.client()
            try await client.send(raw: #"{"type":"Join","room_name":"has space","username":"x"}"#)
            try await client.expectError(.invalidRoomName)
            try await client.send(raw: #"{"type":"Join","room_name":"\#(String(repeating: "r", count: 65))","username":"x"}"#)
            try await client.expectError(.invalidRoomName)
            for username in ["", "   ", "a\\u0007b", "evil\\u202Ename", "zero\\u200Bwidth", "line\\u2028sep", String(repeating: "n", count: 65)] {
                try await client.send(raw: #"{"type":"Join","room_name":"r","username":"\#(username)"}"#)
                try await client.expectError(.invalidUsername)
            }
            // Not in any room, but the malformed name is reported first.
            try await client.send(raw: #"{"type":"Leave","room_name":"bad/name"}"#)
            try await client.expectError(.invalidRoomName)
            try await client.send(raw: #"{"type":"Offer","room_name":"","sdp":"x","target_user_id":1}"#)
            try await client.expectError(.invalidRoomName)
            await client.close()
        }
    }

    @Test func roomStateErrors() async throws {
        try await withNode { node in
            let client = try await node.client()
            try await client.send(.leave(room: "r"))
            try await client.expectError(.notInRoom)
            try await client.send(.offer(room: "r", sdp: "x", target: 5))
            try await client.expectError(.notInRoom)
            try await client.send(.answer(room: "r", sdp: "x", target: 5))
            try await client.expectError(.notInRoom)
            try await client.send(.iceCandidate(room: "r", candidate: IceCandidate(candidate: "c"), target: 5))
            try await client.expectError(.notInRoom)
            _ = try await client.join("r", as: "x")
            try await client.send(.join(room: "r", username: "x", token: nil))
            try await client.expectError(.alreadyInRoom)
            try await client.send(.join(room: "other", username: "x", token: nil))
            let error = try await client.expectError(.alreadyInRoom)
            #expect(error.message.contains("r"))
            try await client.send(.leave(room: "other"))
            try await client.expectError(.notInRoom)
            await client.close()
        }
    }

    @Test func twoHundredMalformedFramesInARowAndTheNodeStillServes() async throws {
        try await withNode({ $0.rateLimit = 100_000; $0.rateLimitBurst = 100_000 }) { node in
            let client = try await node.client()
            let other = try await node.client()
            for i in 0..<200 {
                try await client.send(raw: i % 2 == 0 ? "{\"type\":" : "\u{1}garbage\(i)")
            }
            for _ in 0..<200 { try await client.expectError(.badMessage) }
            let otherID = try await other.join("r", as: "other").userID
            _ = try await client.join("r", as: "client")
            try await client.send(.offer(room: "r", sdp: "ok", target: otherID))
            _ = try await other.next()  // UserJoined
            guard case .offer = try await other.next() else { Issue.record("offer not relayed"); return }
            await client.close()
            await other.close()
        }
    }

    @Test func rateLimitedThenClosedWith1008WhenFloodingIsSustained() async throws {
        // A slow refill (1 a second, not 50): the frames past the burst are rejected however long a loaded machine
        // takes to send and read them (under 50 s, not under 1 s).
        try await withNode({ $0.rateLimit = 1 }) { node in
            let client = try await node.client()
            // 150 at once: the burst of 100 passes (as bad messages), the rest are rate_limited, the socket stays.
            for _ in 0..<150 { try await client.send(raw: "{}") }
            var codes: [ErrorCode] = []
            for _ in 0..<150 {
                guard case .error(let error) = try await client.next() else { continue }
                codes.append(error.code)
            }
            #expect(codes.filter { $0 == .badMessage }.count >= 100)
            #expect(codes.contains(.rateLimited))
            #expect(!client.socket.hasEnded)

            // Keep flooding at ~200/s: after 3 s of rejections the node says rate_limited and closes with 1008. A stall
            // of the machine longer than 1 s starts the 3 s over (rejections must come within 1 s of each other), so
            // the flood goes on, within a generous limit, until the node closes.
            let clock = ContinuousClock()
            let start = clock.now
            while !client.socket.hasEnded, clock.now - start < .seconds(30) {
                try? await client.send(raw: "{}")
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(try await client.closeCode() == CloseCode.policyViolation)
            let last = client.socket.received.compactMap { message -> String? in
                if case .text(let text) = message { return text }
                return nil
            }.last
            #expect(last?.contains("rate_limited") == true)
            try await eventually("the rate-limit disconnect counted") { try await node.metrics().contains("sigctl_rate_limit_disconnects_total 1") }
        }
    }

    @Test func tooLargeThenClose1009() async throws {
        try await withNode { node in
            // One byte over the limit, in one frame: Error first, then 1009.
            let client = try await node.client()
            let big = #"{"type":"Leave","room_name":"r","pad":""# + String(repeating: "x", count: 65_537 - 40) + #""}"#
            #expect(big.utf8.count > 65_536)
            try await client.send(raw: big)
            try await client.expectError(.tooLarge)
            #expect(try await client.closeCode() == CloseCode.messageTooLarge)

            // Over the limit only after reassembly of several frames.
            let fragmented = try await node.client()
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 30_000)
            try await fragmented.socket.send(frame: Array("{\"type\":\"Leave\",".utf8), opcode: .text, fin: false)
            try await fragmented.socket.send(frame: chunk, opcode: .continuation, fin: false)
            try await fragmented.socket.send(frame: chunk, opcode: .continuation, fin: false)
            try await fragmented.socket.send(frame: chunk, opcode: .continuation, fin: true)
            try await fragmented.expectError(.tooLarge)
            #expect(try await fragmented.closeCode() == CloseCode.messageTooLarge)

            // A binary message over the limit is too_large as well.
            let binary = try await node.client()
            try await binary.socket.send(binary: [UInt8](repeating: 0, count: 65_537))
            try await binary.expectError(.tooLarge)
            #expect(try await binary.closeCode() == CloseCode.messageTooLarge)
        }
    }

    @Test func aOneMebibyteFrameIsClosedWith1009AndTheNodeStillServes() async throws {
        try await withNode { node in
            let client = try await node.client()
            try await client.send(raw: String(repeating: "x", count: 1 << 20))
            #expect(try await client.closeCode() == CloseCode.messageTooLarge)
            let next = try await node.client()
            _ = try await next.join("r", as: "fine")
            await next.close()
        }
    }

    @Test func exactlySixtyFourKiBIsAccepted() async throws {
        try await withNode { node in
            let alice = try await node.client()
            let bob = try await node.client()
            let aliceID = try await alice.join("r", as: "alice").userID
            _ = try await bob.join("r", as: "bob")
            _ = try await alice.next()
            let prefix = #"{"type":"Offer","room_name":"r","target_user_id":\#(aliceID),"sdp":""#
            let sdp = String(repeating: "s", count: 65_536 - prefix.utf8.count - 2)
            let message = prefix + sdp + #""}"#
            #expect(message.utf8.count == 65_536)
            try await bob.send(raw: message)
            guard case .offer(_, _, let relayed) = try await alice.next() else { Issue.record("not relayed"); return }
            #expect(relayed == sdp)
            await alice.close()
            await bob.close()
        }
    }

    @Test func serverBusyAtTheHandshakeThenClose1013() async throws {
        try await withNode({ $0.maxConnections = 2 }) { node in
            let first = try await node.client()
            let second = try await node.client()
            // The client's handshake completes a moment before the node counts the connection.
            try await eventually("two connections counted") { node.node.hub.connectionCount == 2 }
            // A raw client: the Error comes right behind the 101, in the same read, which WSClient can lose.
            let third = try await RawWebSocketClient(port: node.port)
            let error = try ServerMessage.decode(try await third.next())
            guard case .error(let busy) = error, busy.code == .serverBusy else {
                Issue.record("expected server_busy, got \(error)")
                return
            }
            #expect(!busy.message.isEmpty)
            #expect(try await third.waitUntilEnded() == CloseCode.tryAgainLater)
            third.close()
            // Room again after someone leaves.
            await first.close()
            try await eventually("one connection counted") { node.node.hub.connectionCount == 1 }
            let fourth = try await node.client()
            _ = try await fourth.join("r", as: "fourth")
            await second.close()
            await fourth.close()
        }
    }
}
