import Foundation

/// The command tree (names, subcommands, options) as swift-argument-parser describes it, so that
/// tab completion always matches the real command definitions.
struct CommandCatalog: Sendable {
    struct Node: Decodable, Sendable {
        var commandName: String
        var subcommands: [Node]?
        var arguments: [Argument]?
        var shouldDisplay: Bool?
    }

    struct Argument: Decodable, Sendable {
        struct Name: Decodable, Sendable {
            var kind: String
            var name: String
        }
        var kind: String
        var names: [Name]?
        var shouldDisplay: Bool?
        var allValues: [String]?
        var valueName: String?
    }

    private struct Dump: Decodable {
        var command: Node
    }

    let root: Node

    /// Asks this very executable for its `--experimental-dump-help` description.
    static func load() -> CommandCatalog? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["--experimental-dump-help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let dump = try? JSONDecoder().decode(Dump.self, from: data) else { return nil }
        return CommandCatalog(root: dump.command)
    }

    /// The command node reached by the leading words, and how many words named commands.
    func node(for words: [String]) -> (Node, Int) {
        var node = root
        var used = 0
        for word in words {
            guard let next = node.subcommands?.first(where: { $0.commandName == word }) else { break }
            node = next
            used += 1
        }
        return (node, used)
    }

    func subcommandNames(of node: Node) -> [String] {
        (node.subcommands ?? []).filter { $0.shouldDisplay != false }.map(\.commandName)
            .filter { $0 != "help" }
    }

    func optionNames(of node: Node) -> [String] {
        (node.arguments ?? []).filter { $0.kind != "positional" && $0.shouldDisplay != false }
            .flatMap { ($0.names ?? []).filter { $0.kind == "long" }.map { "--" + $0.name } }
    }

    /// The option's value placeholder (`<node-id>`), to know what to complete after it.
    func valueName(ofOption option: String, in node: Node) -> String? {
        (node.arguments ?? []).first { arg in
            arg.kind == "option" && (arg.names ?? []).contains { "--" + $0.name == option }
        }?.valueName
    }

    func allowedValues(ofOption option: String, in node: Node) -> [String]? {
        (node.arguments ?? []).first { arg in
            arg.kind == "option" && (arg.names ?? []).contains { "--" + $0.name == option }
        }?.allValues
    }

    func positionalValueNames(of node: Node) -> [String] {
        (node.arguments ?? []).filter { $0.kind == "positional" }.compactMap(\.valueName)
    }
}
