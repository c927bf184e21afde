import SignalingProtocol
import Testing
import TestSupport
@testable import SignalingServer

@Suite("Slow consumers", .timeLimit(.minutes(1)))
struct SlowConsumerTests {
    @Test func aClientThatNeverReadsIsCutOffAndTheQueueStaysBounded() async throws {
        try await withNode({
            $0.outboundQueueLimit = 32
            $0.rateLimit = 100_000
            $0.rateLimitBurst = 100_000
        }) { node in
            let sleeper = try await node.client(reads: false)
            let sender = try await node.client()
            try await sleeper.send(.join(room: "r", username: "sleeper", token: nil))
            let sleeperID = try await eventuallyMember(node, count: 1)
            let senderID = try await sender.join("r", as: "sender").userID
            #expect(sleeperID != senderID)

            // 60 KB offers until the node gives up on the sleeper (the kernel buffers a few MB first). In batches,
            // each followed by a probe whose answer shows the node has handled the batch, so the test client
            // never runs far ahead of the node.
            let sdp = String(repeating: "v", count: 60_000)
            var sent = 0
            var sawLeft = false
            while node.node.hub.connectionCount == 2, !node.node.hub.hasConnectionBeingCut, sent < 5_000 {
                for _ in 0..<20 {
                    try await sender.send(.offer(room: "r", sdp: sdp, target: sleeperID))
                }
                sent += 20
                try await sender.send(.leave(room: "probe"))
                while true {
                    let message = try await sender.next(timeout: .seconds(20))
                    if case .error(let error) = message, error.code == .notInRoom { break }
                    if case .userLeft(_, let userID) = message, userID == sleeperID { sawLeft = true }
                }
            }
            #expect(sent < 5_000, "the node never gave up on a client that does not read")
            try await eventually("sleeper disconnected", timeout: .seconds(20)) { node.node.hub.connectionCount == 1 }
            // The sender is told the sleeper left, and keeps working.
            while !sawLeft {
                let message = try await sender.next()
                if case .userLeft(_, let userID) = message, userID == sleeperID { sawLeft = true }
            }
            try await eventually("the slow-consumer disconnect counted") { try await node.metrics().contains("sigctl_slow_consumer_disconnects_total 1") }
            try await sender.send(.leave(room: "r"))
            // Offers that arrived after the sleeper was gone were answered target_not_found; then RoomLeft.
            while true {
                let message = try await sender.next()
                if message == .roomLeft(room: "r") { break }
                guard case .error(let error) = message, error.code == .targetNotFound else {
                    Issue.record("unexpected \(message)")
                    break
                }
            }
            await sender.close()
            await sleeper.socket.close(timeout: .seconds(1))
        }
    }

    /// The sleeper cannot read its RoomJoined; find its id from the node's side.
    private func eventuallyMember(_ node: TestNode, count: Int) async throws -> UserID {
        var id: UserID?
        try await eventually("\(count) members of r") {
            let members = node.node.hub.localMembers(of: "r")
            id = members.first?.userID
            return members.count == count
        }
        return id!
    }
}

extension RoomHub {
    /// Whether some connection's queue has overflowed or is closing: the node has decided to cut it.
    var hasConnectionBeingCut: Bool {
        state.withLock { state in state.connections.values.contains { $0.isClosing } }
    }
}
