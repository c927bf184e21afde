#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SignalingProtocol
import Testing
import TestSupport
@testable import SignalingServer

@Suite("Graceful shutdown", .timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test func inProcessShutdownSendsUserLeftAndCloses1001() async throws {
        var clients: [SignalClient] = []
        // Both clients answer the close at once, so the shutdown never waits out its timeout; a long one keeps a stalled
        // machine from cutting them off (no close frame) before the close frames are written.
        try await withNode({ $0.shutdownTimeout = .seconds(60) }) { node in
            let alice = try await node.client()
            let bob = try await node.client()
            _ = try await alice.join("r", as: "alice")
            _ = try await bob.join("r", as: "bob")
            _ = try await alice.next()
            clients = [alice, bob]
        }
        // withNode shut the node down on the way out.
        var sawUserLeft = false
        for client in clients {
            #expect(try await client.closeCode() == CloseCode.goingAway)
            sawUserLeft = sawUserLeft || client.socket.unread.contains { message in
                if case .text(let text) = message { return text.contains(#""type":"UserLeft""#) }
                return false
            }
        }
        #expect(sawUserLeft, "the member left in the room heard that the other one left")
    }

    @Test func sigtermOnTheBinaryClosesClientsWith1001AndExitsZero() async throws {
        // Clients that answer the close let the node exit long before its shutdown timeout: a long timeout, so that
        // the bound below tells "exits once its clients are gone" from "waits the timeout out", with room for a
        // machine that stalls for several seconds.
        let node = try await NodeProcess.start(arguments: ["--shutdown-timeout", "60s"])
        let alice = SignalClient(try await TestWebSocketClient.connect(url: node.wsURL))
        let bob = SignalClient(try await TestWebSocketClient.connect(url: node.wsURL))
        let aliceID = try await alice.join("room1", as: "alice").userID
        let bobID = try await bob.join("room1", as: "bob").userID
        _ = try await alice.next()
        try await bob.send(.offer(room: "room1", sdp: "v=0", target: aliceID))
        #expect(try await alice.next() == .offer(room: "room1", from: bobID, sdp: "v=0"))

        let clock = ContinuousClock()
        let start = clock.now
        node.signal(SIGTERM)
        #expect(try await alice.closeCode() == CloseCode.goingAway)
        #expect(try await bob.closeCode() == CloseCode.goingAway)
        let status = await node.exit(timeout: .seconds(30))
        #expect(status == 0, "log: \(node.log.suffix(1000))")
        #expect(clock.now - start < .seconds(20))
        let texts = (alice.socket.unread + bob.socket.unread).compactMap { message -> String? in
            if case .text(let text) = message { return text }
            return nil
        }
        #expect(texts.contains { $0.contains(#""type":"UserLeft""#) })
    }

    @Test func sigtermWithAClientThatNeverReadsStillExitsInBoundedTime() async throws {
        let node = try await NodeProcess.start(arguments: ["--shutdown-timeout", "1s"])
        let sleeper = try await TestWebSocketClient.connect(url: node.wsURL, reads: false)
        try await sleeper.send(ClientMessage.join(room: "r", username: "sleeper", token: nil).encoded())
        let clock = ContinuousClock()
        let start = clock.now
        node.signal(SIGTERM)
        // About 1 s (the shutdown timeout) on a quiet machine; the bound leaves room for a stall of several seconds
        // and still fails a node that waits for the sleeper (it never closes).
        let status = await node.exit(timeout: .seconds(30))
        #expect(status == 0, "log: \(node.log.suffix(1000))")
        #expect(clock.now - start < .seconds(20))
        await sleeper.close(timeout: .seconds(1))
    }
}

@Suite("The sigctl serve binary: configuration", .timeLimit(.minutes(1)))
struct ServeBinaryConfigurationTests {
    @Test func flagBeatsEnvironmentBeatsDotEnv() async throws {
        let directory = NodeProcess.makeTemporaryDirectory()
        try """
            # written by the test
            export NODE_ID="file-node" # a comment
            LOG_FORMAT='json'
            """.write(toFile: directory + "/.env", atomically: true, encoding: .utf8)

        let fromFile = try await NodeProcess.start(workingDirectory: directory)
        #expect(try await httpGet(port: fromFile.port, path: "/health").body.contains(#""node_id":"file-node""#))
        await fromFile.stop()
        // LOG_FORMAT=json from .env: log lines are JSON objects.
        #expect(fromFile.log.split(separator: "\n").contains { $0.hasPrefix("{\"timestamp\":") && $0.contains(#""node.id":"file-node""#) })

        let fromEnv = try await NodeProcess.start(environment: ["NODE_ID": "env-node"], workingDirectory: directory)
        #expect(try await httpGet(port: fromEnv.port, path: "/health").body.contains(#""node_id":"env-node""#))
        await fromEnv.stop()

        let fromFlag = try await NodeProcess.start(
            arguments: ["--node-id", "flag-node"], environment: ["NODE_ID": "env-node"], workingDirectory: directory)
        #expect(try await httpGet(port: fromFlag.port, path: "/health").body.contains(#""node_id":"flag-node""#))
        await fromFlag.stop()
    }

    @Test func eventLoopThreadsSetsTheNumberOfThreadsThatServe() async throws {
        func loopThreads(_ node: NodeProcess) throws -> Int {
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(node.pid)/task")
            return tasks.filter { task in
                ((try? String(contentsOfFile: "/proc/\(node.pid)/task/\(task)/comm", encoding: .utf8)) ?? "").hasPrefix("NIO-SGLTN")
            }.count
        }
        for threads in [1, 3] {
            let node = try await NodeProcess.start(arguments: ["--event-loop-threads", "\(threads)"])
            let client = SignalClient(try await TestWebSocketClient.connect(url: node.wsURL))
            #expect(try await client.join("threads", as: "alice").participants.isEmpty, "the node serves")
            #expect(try loopThreads(node) == threads)
            await node.stop()
        }
    }

    @Test func anInvalidValueStopsTheNodeWithOneLineNamingTheSetting() async throws {
        let binary = try NodeProcess.locateBinary()
        let directory = NodeProcess.makeTemporaryDirectory()
        let log = directory + "/out.log"
        let process = try ChildProcess(
            executable: binary, arguments: ["serve", "--port", "\(freeLoopbackPort())"],
            environment: ["PATH": "/usr/bin:/bin", "HEARTBEAT_INTERVAL": "often"], workingDirectory: directory,
            standardOutput: .file(log, append: true))
        let status = await process.exit(timeout: .seconds(20))
        #expect(status == 2)
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output == "sigctl serve: invalid HEARTBEAT_INTERVAL (--heartbeat-interval) 'often': expected a positive duration such as 10, 10s or 500ms\n")
    }

    /// jwt-kit traps (SIGILL) on an HS256 key under 32 bytes: the loader refuses it first, as an invalid value.
    @Test(arguments: [["JWT_SECRET": "short-secret"], ["JWT_SECRET": String(repeating: "k", count: 31)]])
    func aShortJWTSecretStopsTheNodeWithOneLineNamingTheSetting(environment: [String: String]) async throws {
        let binary = try NodeProcess.locateBinary()
        let directory = NodeProcess.makeTemporaryDirectory()
        let log = directory + "/out.log"
        let process = try ChildProcess(
            executable: binary, arguments: ["serve", "--port", "\(freeLoopbackPort())", "--bind", "127.0.0.1"],
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, workingDirectory: directory,
            standardOutput: .file(log, append: true))
        let status = await process.exit(timeout: .seconds(20))
        if status == nil { await process.stop() }
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(status == 2, "\(output)")
        let secretBytes = environment["JWT_SECRET"]!.utf8.count
        #expect(output == "sigctl serve: invalid JWT_SECRET (--jwt-secret): \(secretBytes) bytes; an HS256 secret must be "
            + "at least 32 bytes (RFC 7518 §3.2), or empty to turn authentication off\n")
    }

    @Test func helpNamesEveryEnvironmentVariable() async throws {
        let binary = try NodeProcess.locateBinary()
        let directory = NodeProcess.makeTemporaryDirectory()
        let log = directory + "/help.log"
        let process = try ChildProcess(executable: binary, arguments: ["serve", "--help"],
                                       standardOutput: .file(log, append: true))
        #expect(await process.exit(timeout: .seconds(20)) == 0)
        // Help text is wrapped to the terminal width: compare with white space collapsed.
        let help = try String(contentsOfFile: log, encoding: .utf8)
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for setting in Setting.allCases {
            #expect(help.contains("--\(setting.flag)"), "\(setting.flag)")
            #expect(help.contains("env \(setting.rawValue)"), "\(setting.rawValue)")
        }
    }
}
