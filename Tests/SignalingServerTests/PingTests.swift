import Foundation
import Testing
import TestSupport

@Suite("WebSocket pings", .timeLimit(.minutes(2)))
struct PingTests {
    /// `--ping-interval` reaches the socket layer: a client whose pongs never come is dropped after a ping or two,
    /// while a client that answers them stays connected and keeps working. The answering client connects first, so
    /// its own pong checks have all passed by the time the silent one is dropped.
    ///
    /// A pong must arrive within one interval, so the interval is longer than any stall of a busy machine (which would
    /// hold back the answering client's pongs just the same): the silent client goes after about two intervals.
    @Test func aClientThatNeverAnswersIsDroppedAndOneThatDoesStays() async throws {
        let node = try await NodeProcess.start(arguments: ["--ping-interval", "12s"])
        do {
            let polite = SignalClient(try await TestWebSocketClient.connect(url: node.wsURL))
            let silent = try await RawWebSocketClient(port: node.port)
            let code = try await silent.waitUntilEnded(timeout: .seconds(60))
            #expect(silent.pingsSeen >= 1, "the node pinged before giving up")
            #expect(code == 1001, "closed as going away, got \(code.map(String.init) ?? "no close frame")")
            let joined = try await polite.join("ping-room", as: "alice")
            #expect(joined.participants.isEmpty)
            silent.close()
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }
}
