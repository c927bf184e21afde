#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Real WebRTC calls between headless Chromium browsers through the demo page that every node serves at `/`:
/// the page's own signaling (Join, Offer/Answer, trickle ICE, glare handling, re-join) against real nodes.
///
/// Each test waits, for every pair of pages, until both peer connections are `connected` with the chat channel
/// open, remote video frames are decoded, and a chat line has gone each way over the data channel.
@Suite("the demo page makes real calls in Chromium", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: ChromeDriver.isInstalled, "needs chromium and chromium-driver (make test-deps)"))
struct DemoCallTests {
    /// Fast heartbeats, so that a killed node is swept within about a second once its heartbeat is gone.
    static let nodeArguments = ["--heartbeat-interval", "1s", "--heartbeat-ttl", "30s"]

    static func room() -> String { "call-\(UUID().uuidString.prefix(6).lowercased())" }

    /// The demo page on `port`, signaling through `endpoints` (the page's own /ws when empty); `pattern` sends the
    /// generated test pattern and tone instead of the (fake) camera and microphone.
    static func pageURL(port: Int, endpoints: [Int] = [], pattern: Bool = false) -> String {
        var query: [String] = []
        if !endpoints.isEmpty { query.append("ws=" + endpoints.map { "ws://127.0.0.1:\($0)/ws" }.joined(separator: ",")) }
        if pattern { query.append("media=pattern") }
        return "http://127.0.0.1:\(port)/" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    @Test func twoBrowsersOnTwoNodesOfACluster() async throws {
        let cluster = try await NodeCluster.start([Self.nodeArguments, Self.nodeArguments], idPrefix: "call2")
        try await DemoBrowsers.with { browsers in
            let room = Self.room()
            let alice = try await browsers.step("alice opens the page on node 0") {
                try await browsers.open("alice", Self.pageURL(port: cluster.nodes[0].port))
            }
            let bob = try await browsers.step("bob opens the page on node 1") {
                try await browsers.open("bob", Self.pageURL(port: cluster.nodes[1].port))
            }
            try await browsers.step("both join \(room)") {
                try await alice.join(room: room)
                try await bob.join(room: room)
            }
            try await expectCall(among: [alice, bob], browsers)

            // Glare: both pages renegotiate at the same instant (one clock), so their offers cross between the
            // nodes. The impolite page (lower id) ignores the other's offer, the polite one rolls its own back.
            try await browsers.step("both offer at once; the collision is resolved") {
                let at = Int(Date().timeIntervalSince1970 * 1000) + 500
                for page in [alice, bob] {
                    let restarting = try await page.browser.execute("return window.sigctlDemo.restartIceAt(arguments[0])", [at])
                    #expect(restarting as? Int == 1)
                }
                try await alice.waitFor("ignored bob's colliding offer") { snapshot in
                    snapshot.log.contains { $0.text.contains("offer collision with bob: ignoring theirs (impolite)") }
                }
                try await bob.waitFor("rolled back its colliding offer") { snapshot in
                    snapshot.log.contains { $0.text.contains("offer collision with alice: rolling ours back (polite)") }
                }
                for page in [alice, bob] {
                    try await page.waitFor("negotiation settled, still connected") { snapshot in
                        snapshot.peers.allSatisfy { $0.signalingState == "stable" && $0.connectionState == "connected" }
                    }
                }
            }
            try await expectCall(among: [alice, bob], browsers, label: "after the collision")
        }
    }

    @Test func twoBrowsersOnOneNode() async throws {
        let node = try await NodeProcess.start()
        try await DemoBrowsers.with { browsers in
            let room = Self.room()
            let alice = try await browsers.open("alice", Self.pageURL(port: node.port))
            let bob = try await browsers.open("bob", Self.pageURL(port: node.port))
            try await browsers.step("both join \(room)") {
                try await alice.join(room: room)
                try await bob.join(room: room)
            }
            try await expectCall(among: [alice, bob], browsers)
        }
    }

    /// bob and carol have no camera: their pages send the generated test pattern and tone. Also takes the README's
    /// screenshot: `SIGCTL_DEMO_SCREENSHOT=docs/demo-call.png` writes it there.
    @Test func threePartyMeshAcrossThreeNodes() async throws {
        let cluster = try await NodeCluster.start(Array(repeating: Self.nodeArguments, count: 3), idPrefix: "call3")
        try await DemoBrowsers.with { browsers in
            let room = Self.room()
            var pages: [DemoPage] = []
            for (i, name) in ["alice", "bob", "carol"].enumerated() {
                pages.append(try await browsers.step("\(name) opens the page on node \(i)") {
                    try await browsers.open(name, Self.pageURL(port: cluster.nodes[i].port, pattern: i > 0))
                })
            }
            // All at once: the joins race across the nodes (two newcomers may each find the other already in the
            // room and both call: glare).
            try await browsers.step("all three join \(room) at once") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for page in pages { group.addTask { try await page.join(room: room) } }
                    try await group.waitForAll()
                }
            }
            try await expectCall(among: pages, browsers)
            let media = try await pages.asyncMap { try await $0.snapshot().mediaKind }
            #expect(media == ["camera", "pattern", "pattern"])

            try await browsers.step("screenshot of a connected call") {
                // Let the remote videos render a few frames and the chat settle before the picture.
                try await eventually("videos playing", timeout: .seconds(10)) {
                    (try await pages[0].snapshot()).peers.allSatisfy { $0.currentTime > 1 }
                }
                let png = try await pages[0].browser.screenshot()
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
                let path = ProcessInfo.processInfo.environment["SIGCTL_DEMO_SCREENSHOT"]
                    ?? makeTemporaryDirectory("sigctl-screenshot") + "/demo-call.png"
                try png.write(to: URL(fileURLWithPath: path))
            }
        }
    }

    /// The node that alice's page signals through is killed (SIGKILL): her page reconnects through the other node,
    /// joins again under a new user id, and the call with bob is set up again; bob's page drops her old id once
    /// the dead node is swept.
    @Test func callComesBackAfterANodeIsKilled() async throws {
        let cluster = try await NodeCluster.start([Self.nodeArguments, Self.nodeArguments], idPrefix: "callkill")
        let ports = cluster.nodes.map(\.port)
        try await DemoBrowsers.with { browsers in
            let room = Self.room()
            let alice = try await browsers.open("alice", Self.pageURL(port: ports[0], endpoints: [ports[0], ports[1]]))
            let bob = try await browsers.open("bob", Self.pageURL(port: ports[1], endpoints: [ports[1], ports[0]]))
            try await browsers.step("both join \(room)") {
                try await alice.join(room: room)
                try await bob.join(room: room)
            }
            try await expectCall(among: [alice, bob], browsers)
            let before = try await alice.snapshot()
            let oldID = try #require(before.userId)

            try await browsers.step("node 0 is killed; alice re-joins through node 1") {
                cluster.nodes[0].signal(SIGKILL)
                #expect(await cluster.nodes[0].exit(timeout: .seconds(10)) != nil)
                // Its heartbeat runs out now rather than after the TTL: node 1 sweeps it within a second.
                try await cluster.expireHeartbeat(0)
                try await alice.waitFor("re-joined through node 1") {
                    $0.status == "joined" && $0.joins == 2 && $0.endpoint == "ws://127.0.0.1:\(ports[1])/ws"
                        && $0.userId != oldID
                }
            }
            // Includes bob's participant list being alice's new id alone: the old one left with the swept node.
            try await expectCall(among: [alice, bob], browsers, label: "after the re-join")
            let bobAfter = try await bob.snapshot()
            #expect(bobAfter.peer(oldID) == nil, "bob closed the call to alice's old id: \(bobAfter.summary)")
        }
    }

    /// Every page sees every other in its room and holds a connected call with it: both peer connections
    /// `connected` with the chat channel open, remote frames decoded and the video element advancing, and a chat
    /// line from each page reaching every other.
    func expectCall(among pages: [DemoPage], _ browsers: DemoBrowsers, label: String = "") async throws {
        let suffix = label.isEmpty ? "" : " (\(label))"
        var ids: [String: UInt64] = [:]
        for page in pages {
            let joined = try await browsers.step("\(page.name) is in the room\(suffix)") {
                try await page.waitFor("joined") { $0.status == "joined" && $0.userId != nil }
            }
            ids[page.name] = joined.userId!
        }
        for page in pages {
            let others = pages.filter { $0 !== page }.map { ids[$0.name]! }
            try await browsers.step("\(page.name)'s calls to \(others) are connected\(suffix)") {
                try await page.waitFor("connected to \(others)", timeout: .seconds(45)) { snapshot in
                    others.allSatisfy { snapshot.isConnected(to: $0) }
                        && Set(snapshot.participants.map(\.userId)) == Set(others)
                }
            }
        }
        for page in pages {
            let others = pages.filter { $0 !== page }.map { ids[$0.name]! }
            try await browsers.step("\(page.name) decodes video from \(others)\(suffix)") {
                try await eventually("\(page.name): frames decoded from \(others)", timeout: .seconds(30), interval: .milliseconds(200)) {
                    let stats = try await page.stats()
                    return others.allSatisfy { (stats[$0]?.framesDecoded ?? 0) > 0 }
                }
                let first = try await page.waitFor("remote videos have a size") { snapshot in
                    others.allSatisfy { (snapshot.peer($0)?.videoWidth ?? 0) > 0 }
                }
                try await page.waitFor("remote videos advance") { snapshot in
                    others.allSatisfy { id in (snapshot.peer(id)?.currentTime ?? 0) > (first.peer(id)?.currentTime ?? 0) }
                }
            }
        }
        let tag = UUID().uuidString.prefix(4)
        let userIDs = ids
        for page in pages {
            try await browsers.step("\(page.name) sends a chat line\(suffix)") {
                let sent = try await page.sendChat("hello from \(page.name) \(tag)")
                #expect(sent == pages.count - 1, "\(page.name) sent on \(sent) data channels")
            }
        }
        for page in pages {
            let senders = pages.filter { $0 !== page }
            try await browsers.step("\(page.name) receives every chat line\(suffix)") {
                try await page.waitFor("chat from \(senders.map(\.name))") { snapshot in
                    senders.allSatisfy { sender in
                        snapshot.chat.contains {
                            !$0.mine && $0.userId == userIDs[sender.name] && $0.text == "hello from \(sender.name) \(tag)"
                        }
                    }
                }
            }
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
