import Foundation
import Hummingbird
import NIOCore

/// The demo call page: `/` and its two companions under `/demo/`, a reference browser client of the protocol
/// (PROTOCOL.md §1) that app developers can copy. The files ship as SwiftPM resources (`Resources/Demo`), are read
/// once when the routes are added, and are served from memory. `--no-demo` (`DEMO=false`) leaves `/` unrouted.
struct DemoController: Sendable {
    let node: SignalingNode

    func addRoutes(to router: Router<NodeRequestContext>) {
        guard node.configuration.demo else { return }
        guard let assets = DemoAssets.load() else {
            node.logger.warning(
                "demo page not served: its files were not found next to the executable",
                metadata: ["expected": .string(DemoAssets.searchPaths().joined(separator: ", "))])
            return
        }
        router.get("/") { _, _ in assets.response(for: "index.html") }
        router.get("/demo/{file}") { _, context in
            assets.response(for: context.parameters.get("file") ?? "")
        }
    }
}

/// The demo page's files, by name, with their content types.
struct DemoAssets: Sendable {
    static let files: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "demo.css": "text/css; charset=utf-8",
        "demo.js": "text/javascript; charset=utf-8",
    ]

    /// Everything the page loads comes from this node; the signaling socket may go to any host (`?ws=`).
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: mediastream:; img-src 'self' data:"

    let contents: [String: ByteBuffer]

    func response(for name: String) -> Response {
        guard let body = contents[name], let type = Self.files[name] else { return Response(status: .notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-cache", .contentSecurityPolicy: Self.contentSecurityPolicy,
                .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: body))
    }

    /// Reads the files from the first resource directory that has them all; nil when none does.
    static func load() -> DemoAssets? {
        for directory in searchPaths() {
            var contents: [String: ByteBuffer] = [:]
            for name in files.keys {
                guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { break }
                contents[name] = ByteBuffer(bytes: data)
            }
            if contents.count == files.count { return DemoAssets(contents: contents) }
        }
        return nil
    }

    /// Where SwiftPM puts the target's resources: a `sigctl_SignalingServer.resources` directory next to the
    /// executable (the installed binary, or the test runner in `.build`). `Bundle.module` is not used because it
    /// stops the process when the directory is missing; a node without its demo files should still serve.
    static func searchPaths() -> [String] {
        var directories = [Bundle.main.bundleURL.path]
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path)
        }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            directories.append(executable.deletingLastPathComponent().path)
        }
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }.map { $0 + "/sigctl_SignalingServer.resources/Demo" }
    }
}
