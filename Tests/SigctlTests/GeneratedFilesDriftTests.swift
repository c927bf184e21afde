import Foundation
import Testing

extension SigctlEndToEnd {
    /// completions/ and man/sigctl.1 are committed; these fail when they drift from the command definitions.
    @Suite("committed completions and man page match the commands", .timeLimit(.minutes(2)))
    struct GeneratedFilesDrift {
        /// The package root, from this file's path (Tests/SigctlTests/<this file>).
        static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()

        @Test(arguments: ["bash", "zsh", "fish"])
        func completionScriptIsCurrent(shell: String) async throws {
            let committed = try String(contentsOf: Self.root.appendingPathComponent("completions/sigctl.\(shell)"), encoding: .utf8)
            let generated = try await sigctl(["--generate-completion-script", shell])
            #expect(generated.exitCode == 0, "\(generated)")
            #expect(!generated.stdout.isEmpty)
            #expect(committed == generated.stdout,
                    "completions/sigctl.\(shell) is stale: regenerate it with `sigctl --generate-completion-script \(shell)`")
        }

        /// A command of the `--experimental-dump-help` tree: its path and the option names it displays.
        struct CommandInfo: Equatable, CustomStringConvertible {
            var path: [String]
            var options: Set<String>
            var positionals: Set<String>
            var description: String { "\(path.joined(separator: " ")): options \(options.sorted()), arguments \(positionals.sorted())" }
        }

        static func commands(fromDump json: Any) -> [CommandInfo] {
            var out: [CommandInfo] = []
            func walk(_ command: [String: Any], _ parent: [String]) {
                let path = parent + [command["commandName"] as? String ?? "?"]
                var options = Set<String>(), positionals = Set<String>()
                for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                    if argument["kind"] as? String == "positional" {
                        positionals.insert(argument["valueName"] as? String ?? "?")
                    }
                    for name in argument["names"] as? [[String: Any]] ?? [] {
                        let n = name["name"] as? String ?? "?"
                        options.insert(name["kind"] as? String == "short" ? "-" + n : "--" + n)
                    }
                }
                out.append(CommandInfo(path: path, options: options, positionals: positionals))
                for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path) }
            }
            if let root = (json as? [String: Any])?["command"] as? [String: Any] { walk(root, []) }
            return out
        }

        /// The commands of an mdoc page as swift-argument-parser's generate-manual writes it: nested `.Bl` lists in
        /// which `.It Em name` opens a subcommand, `.It Fl …` documents an option and `.It Ar name` an argument.
        static func commands(fromManPage text: String) -> [CommandInfo] {
            var result: [[String]: CommandInfo] = [["sigctl"]: CommandInfo(path: ["sigctl"], options: [], positionals: [])]
            var order = [["sigctl"]]
            var depth = 0
            var stack: [(path: [String], depth: Int)] = [(["sigctl"], 0)]
            var inDescription = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix(".Sh ") {
                    inDescription = line == ".Sh DESCRIPTION"
                    continue
                }
                guard inDescription else { continue }
                if line.hasPrefix(".Bl") {
                    depth += 1
                } else if line.hasPrefix(".El") {
                    depth -= 1
                    while stack.count > 1, stack.last!.depth > depth { stack.removeLast() }
                } else if line.hasPrefix(".It Em ") {
                    while stack.count > 1, stack.last!.depth >= depth { stack.removeLast() }
                    let path = stack.last!.path + [String(line.dropFirst(".It Em ".count))]
                    stack.append((path, depth))
                    result[path] = CommandInfo(path: path, options: [], positionals: [])
                    order.append(path)
                } else if line.hasPrefix(".It Fl ") {
                    // `.It Fl h , -help` is -h and --help; `.It Fl -port Ar port` is --port.
                    let names = line.dropFirst(".It Fl ".count).components(separatedBy: " Ar ")[0].components(separatedBy: " , ")
                    for name in names where !name.isEmpty {
                        result[stack.last!.path]!.options.insert("-" + name.trimmingCharacters(in: .whitespaces))
                    }
                } else if line.hasPrefix(".It Ar ") {
                    let name = String(line.dropFirst(".It Ar ".count)).replacingOccurrences(of: "...", with: "")
                    result[stack.last!.path]!.positionals.insert(name)
                }
            }
            return order.map { result[$0]! }
        }

        @Test func manPageDocumentsEverySubcommandAndOptionAndNothingElse() async throws {
            let dump = try await sigctl(["--experimental-dump-help"])
            #expect(dump.exitCode == 0, "\(dump)")
            let fromCode = Self.commands(fromDump: try dump.json())
            try #require(fromCode.count > 5, "\(dump)")
            let page = try String(contentsOf: Self.root.appendingPathComponent("man/sigctl.1"), encoding: .utf8)
            let fromPage = Self.commands(fromManPage: page)

            let regenerate = "regenerate man/sigctl.1 with `swift package generate-manual --configuration debug`"
            #expect(fromPage.map(\.path) == fromCode.map(\.path), "the man page's commands differ from the code's; \(regenerate)")
            for command in fromCode {
                guard let documented = fromPage.first(where: { $0.path == command.path }) else {
                    Issue.record("man/sigctl.1 lacks the command `\(command.path.joined(separator: " "))`; \(regenerate)")
                    continue
                }
                let missing = command.options.subtracting(documented.options)
                let stale = documented.options.subtracting(command.options)
                #expect(missing.isEmpty, "man/sigctl.1 does not document \(missing.sorted()) of `\(command.path.joined(separator: " "))`; \(regenerate)")
                #expect(stale.isEmpty, "man/sigctl.1 documents \(stale.sorted()) that `\(command.path.joined(separator: " "))` lacks; \(regenerate)")
                #expect(documented.positionals.isSuperset(of: command.positionals),
                        "arguments of `\(command.path.joined(separator: " "))`: \(documented) vs \(command)")
            }
            // Every long option the code has appears in the page at all, and the page names no option the code lacks.
            let allOptions = fromCode.reduce(into: Set<String>()) { $0.formUnion($1.options) }
            var mentioned = Set<String>()
            let regex = try Regex(#"Fl (-[A-Za-z0-9][A-Za-z0-9-]*)"#)
            for match in page.matches(of: regex) {
                if let name = match.output[1].substring { mentioned.insert("-" + name) }
            }
            for option in allOptions where option.hasPrefix("--") {
                #expect(mentioned.contains(option), "man/sigctl.1 never mentions \(option); \(regenerate)")
            }
            #expect(mentioned.subtracting(allOptions).isEmpty, "man/sigctl.1 mentions \(mentioned.subtracting(allOptions).sorted()); \(regenerate)")
        }

        @Test func manPageParserSeesAStaleOption() {
            // The check above must be able to fail: a page with an extra option and a missing one is caught.
            let page = """
                .Sh DESCRIPTION
                .Bl -tag -width 6n
                .It Fl h , -help
                Show help information.
                .It Em rooms
                .Bl -tag -width 6n
                .It Em list
                .Bl -tag -width 6n
                .It Fl -redis-url Ar url
                .It Fl -old-option
                .El
                .El
                .It Em tail
                .Bl -tag -width 6n
                .It Fl -count Ar n
                .El
                .El
                .Sh "EXIT STATUS"
                """
            let commands = Self.commands(fromManPage: page)
            #expect(commands.map(\.path) == [["sigctl"], ["sigctl", "rooms"], ["sigctl", "rooms", "list"], ["sigctl", "tail"]])
            #expect(commands[0].options == ["-h", "--help"])
            #expect(commands[2].options == ["--redis-url", "--old-option"])
            #expect(commands[3].options == ["--count"])
        }
    }
}
