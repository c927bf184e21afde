import Foundation
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("the interactive shell through a pseudo-terminal", .timeLimit(.minutes(2)))
    struct Shell {
        /// libedit's history file: a `_HiStOrY_V2_` header, then one line per entry with spaces and other special
        /// characters written as `\ooo` octal escapes.
        static func historyEntries(_ text: String) -> [String] {
            text.split(separator: "\n").dropFirst().map { line in
                var out = [UInt8]()
                let bytes = Array(line.utf8)
                var i = 0
                while i < bytes.count {
                    if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
                       bytes[(i + 1)...(i + 3)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }),
                       let value = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                        out.append(value)
                        i += 4
                    } else {
                        out.append(bytes[i])
                        i += 1
                    }
                }
                return String(decoding: out, as: UTF8.self)
            }
        }

        @Test func typingCompletingRecallingHelpTailAndCtrlD() async throws {
            let cluster = try await OpsCluster.start([OpsCluster.fast])
            let tag = UUID().uuidString.prefix(6).lowercased()
            let room = "tabroom-\(tag)"
            let peer = try await Peer.join(cluster.nodes[0], name: "tabby", room: room)
            let home = makeTemporaryDirectory("sigctl-home")
            defer { try? FileManager.default.removeItem(atPath: home) }
            let prompt = "sigctl redis://127.0.0.1:\(cluster.redis.port)> "
            let inspected = "room \(room): 1 participant on 1 node"
            let listed = "1 room, 1 participant"

            let dialog = TerminalDialog(
                argv: [try sigctlBinary(), "--redis-url", cluster.redis.url],
                environment: ["HOME": home, "TERM": "xterm", "LANG": "C.UTF-8", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"],
                workingDirectory: home,
                steps: [
                    .expect(prompt),
                    // TAB completes the live room id: only "tabr" is typed.
                    .type("rooms inspect tabr\t"),
                    .type("\r"),
                    .expect(inspected),
                    .expect(prompt),
                    .type("rooms list\r"),
                    .expect(listed),
                    .expect(prompt),
                    // Up-arrow recalls the previous command ("rooms list"), Enter runs it again.
                    .type("\u{1B}[A"),
                    .type("\r"),
                    .expect(listed),
                    .expect(prompt),
                    .type("help\r"),
                    .expect("SUBCOMMANDS"),
                    .expect(prompt),
                    // Ctrl-C stops tail and comes back to the prompt; the shell keeps working.
                    .type("tail\r"),
                    .expect("listening on cluster:*"),
                    .send("\u{03}"),
                    .expect(prompt),
                    .type("servers list\r"),
                    .expect(cluster.ids[0]),
                    .expect(prompt),
                    // TAB completes a live node id, and an option name.
                    .type("servers inspect ops-\t"),
                    .type("\r"),
                    .expect("node \(cluster.ids[0]): alive"),
                    .expect(prompt),
                    .type("rooms list --ma\t"),
                    .type("nothing-*\r"),
                    .expect("no rooms"),
                    .expect(prompt),
                    // Ctrl-D leaves.
                    .type("\u{04}"),
                    .exit(),
                ])
            let outcome = try await dialog.run()
            #expect(outcome.failure == nil, "\(outcome)")
            #expect(outcome.exit == 0, "Ctrl-D exits 0: \(outcome)")
            // The completed command ran on the completed id and showed the user in it.
            #expect(outcome.transcript.contains("\(peer.userID)") && outcome.transcript.contains("tabby"), "\(outcome)")
            #expect(!outcome.transcript.contains("Fatal error"), "\(outcome)")

            let history = try String(contentsOfFile: home + "/.sigctl_history", encoding: .utf8)
            let entries = Self.historyEntries(history).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(entries.contains("rooms inspect \(room)"), "the completed line is in the history: \(entries)")
            #expect(entries.contains("rooms list") && entries.contains("help") && entries.contains("tail")
                && entries.contains("servers list"), "\(entries)")
            #expect(entries.contains("servers inspect \(cluster.ids[0])"), "the completed node id: \(entries)")
            #expect(entries.contains("rooms list --match nothing-*"), "the completed option: \(entries)")
            #expect(!entries.contains { $0.contains("tabr") && !$0.contains(room) }, "the partial word is not what ran: \(entries)")
        }

        @Test func historyIsReadBackInTheNextSessionAndExitLeaves() async throws {
            let redis = try await RedisServer.start()
            let home = makeTemporaryDirectory("sigctl-home")
            defer { try? FileManager.default.removeItem(atPath: home) }
            let prompt = "sigctl redis://127.0.0.1:\(redis.port)> "
            let environment = ["HOME": home, "TERM": "xterm", "LANG": "C.UTF-8",
                               "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            let first = try await TerminalDialog(
                argv: [try sigctlBinary(), "shell", "--redis-url", redis.url], environment: environment, workingDirectory: home,
                steps: [.expect(prompt), .type("servers list\r"), .expect("no nodes"), .expect(prompt), .type("exit\r"), .exit()]
            ).run()
            #expect(first.failure == nil && first.exit == 0, "\(first)")

            // A new session recalls the previous session's commands with the up-arrow: "exit", then "servers list".
            let second = try await TerminalDialog(
                argv: [try sigctlBinary(), "--redis-url", redis.url], environment: environment, workingDirectory: home,
                steps: [.expect(prompt), .type("\u{1B}[A\u{1B}[A\r"), .expect("no nodes"), .expect(prompt), .type("\u{04}"), .exit()]
            ).run()
            #expect(second.failure == nil && second.exit == 0, "\(second)")
        }
    }
}
