import Foundation
import Synchronization
import TestSupport

/// What the demo page knows, from its test hook `window.sigctlDemo.snapshot()` (demo.js).
struct DemoSnapshot: Decodable, Sendable {
    struct Participant: Decodable, Sendable {
        var userId: UInt64
        var username: String
    }

    struct Peer: Decodable, Sendable {
        var userId: UInt64
        var username: String
        var polite: Bool
        var connectionState: String
        var iceConnectionState: String
        var signalingState: String
        var dataChannel: String
        var candidates: [String: Int]
        var videoWidth: Int
        var currentTime: Double
    }

    struct Chat: Decodable, Sendable {
        var userId: UInt64?
        var username: String
        var text: String
        var mine: Bool
    }

    struct LogLine: Decodable, Sendable {
        var time: String
        var level: String
        var text: String
    }

    var status: String
    var endpoint: String?
    var room: String
    var username: String
    var userId: UInt64?
    var joins: Int
    var mediaKind: String?
    var participants: [Participant]
    var peers: [Peer]
    var chat: [Chat]
    var log: [LogLine]

    func peer(_ userID: UInt64) -> Peer? { peers.first { $0.userId == userID } }

    /// A call to `userID` that carries media and chat: ICE and DTLS connected, the chat channel open.
    func isConnected(to userID: UInt64) -> Bool {
        guard let peer = peer(userID) else { return false }
        return peer.connectionState == "connected" && peer.dataChannel == "open"
    }

    /// One line per peer, for failure messages.
    var summary: String {
        let peerLines = peers.map {
            "\($0.username)#\($0.userId) \($0.connectionState)/\($0.iceConnectionState)/\($0.signalingState) chat \($0.dataChannel) candidates \($0.candidates) video \($0.videoWidth)px t=\($0.currentTime)"
        }
        return "status \(status) as #\(userId.map(String.init) ?? "-") on \(endpoint ?? "-"), joins \(joins), media \(mediaKind ?? "-"); "
            + "participants \(participants.map { "\($0.username)#\($0.userId)" }); peers [\(peerLines.joined(separator: "; "))]"
    }
}

/// Inbound media of one peer connection, from `window.sigctlDemo.stats()` (RTCPeerConnection.getStats).
struct PeerStats: Decodable, Sendable {
    var framesDecoded: Int
    var audioPacketsReceived: Int
}

/// One browser showing the demo page, driven through its `window.sigctlDemo` hook.
final class DemoPage: Sendable {
    let browser: Browser
    var name: String { browser.name }
    private let last = Mutex<DemoSnapshot?>(nil)

    init(browser: Browser) {
        self.browser = browser
    }

    func open(_ url: String) async throws {
        try await browser.navigate(to: url)
        try await eventually("\(name): the demo page's script ran", timeout: .seconds(20), interval: .milliseconds(50)) {
            (try await self.browser.execute("return typeof window.sigctlDemo")) as? String == "object"
        }
    }

    /// Fills in nothing: calls the page's own join (media first, then the socket), as the Join button does.
    func join(room: String) async throws {
        try await browser.execute("return window.sigctlDemo.join(arguments[0], arguments[1])", [room, name])
    }

    func snapshot() async throws -> DemoSnapshot {
        let value = try await browser.execute("return window.sigctlDemo.snapshot()")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let snapshot = try decoder.decode(DemoSnapshot.self, from: JSONSerialization.data(withJSONObject: value ?? [:]))
        last.withLock { $0 = snapshot }
        return snapshot
    }

    /// Inbound media by the remote user's id.
    func stats() async throws -> [UInt64: PeerStats] {
        let value = try await browser.execute("return window.sigctlDemo.stats()")
        let decoded = try JSONDecoder().decode(
            [String: PeerStats].self, from: JSONSerialization.data(withJSONObject: value ?? [:]))
        return Dictionary(uniqueKeysWithValues: decoded.compactMap { key, stats in UInt64(key).map { ($0, stats) } })
    }

    /// Sends a chat line on every open data channel; how many it went out on.
    func sendChat(_ text: String) async throws -> Int {
        (try await browser.execute("return window.sigctlDemo.sendChat(arguments[0])", [text])) as? Int ?? -1
    }

    /// Polls the page's state until `condition` holds; the snapshot that satisfied it.
    @discardableResult
    func waitFor(
        _ what: String, timeout: Duration = .seconds(30), fileID: String = #fileID, line: Int = #line,
        _ condition: @Sendable (DemoSnapshot) -> Bool
    ) async throws -> DemoSnapshot {
        let found = Mutex<DemoSnapshot?>(nil)
        try await eventually("\(name): \(what)", timeout: timeout, interval: .milliseconds(100), fileID: fileID, line: line) {
            let snapshot = try await self.snapshot()
            guard condition(snapshot) else { return false }
            found.withLock { $0 = snapshot }
            return true
        }
        return found.withLock { $0! }
    }

    /// For a failure message: the last state, the page's event log and the browser console.
    func report() async -> String {
        let snapshot = (try? await snapshot()) ?? last.withLock { $0 }
        var lines = ["===== \(name): \(snapshot?.summary ?? "no state")", "--- page log"]
        lines += snapshot?.log.map { "\($0.time) \($0.level) \($0.text)" } ?? []
        lines.append("--- browser console")
        lines += await browser.consoleLog()
        return lines.joined(separator: "\n")
    }
}

/// A chromedriver and the demo pages it opened; `close()` ends them all.
final class DemoBrowsers: Sendable {
    let driver: ChromeDriver
    private let pages = Mutex<[DemoPage]>([])

    private init(driver: ChromeDriver) {
        self.driver = driver
    }

    /// Starts chromedriver, runs `body`, and closes every browser and the driver whatever `body` does.
    static func with<T: Sendable>(_ body: (DemoBrowsers) async throws -> T) async throws -> T {
        let browsers = DemoBrowsers(driver: try await ChromeDriver.start())
        do {
            let result = try await body(browsers)
            await browsers.close()
            return result
        } catch {
            await browsers.close()
            throw error
        }
    }

    /// A new browser showing `url`.
    func open(_ name: String, _ url: String) async throws -> DemoPage {
        let page = DemoPage(browser: try await driver.newBrowser(name: name))
        pages.withLock { $0.append(page) }
        try await page.open(url)
        return page
    }

    var all: [DemoPage] { pages.withLock { $0 } }

    /// Runs one step of a scenario; when it fails, the error names the step and carries every page's state, event
    /// log and console.
    @discardableResult
    func step<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            var reports: [String] = []
            for page in all { reports.append(await page.report()) }
            throw TestSupportError("step '\(name)' failed: \(error)\n\(reports.joined(separator: "\n"))")
        }
    }

    func close() async {
        for page in all { await page.browser.close() }
        await driver.stop()
    }
}
