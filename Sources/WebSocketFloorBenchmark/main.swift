import Foundation
import NIOCore
import NIOPosix

// The floor beneath the node: a bare relay on Hummingbird's WebSocket API (with its async outbound writer, or
// writing frames straight to the channel) and on SwiftNIO alone, to run `sigctl simulate relay` against
// (scripts/bench-websocket-floor.sh).
// usage: WebSocketFloorBenchmark hummingbird|direct|nio PORT

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let kind = arguments.first, ["hummingbird", "nio", "direct"].contains(kind),
      let port = Int(arguments.last ?? ""), (1...65535).contains(port)
else {
    FileHandle.standardError.write(Data("usage: WebSocketFloorBenchmark hummingbird|direct|nio PORT\n".utf8))
    exit(2)
}
// As `sigctl serve` does: Swift concurrency runs on the event loops.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
do {
    switch kind {
    case "nio": try await NIORelay.run(port: port)
    case "direct": try await HummingbirdRelay.runDirect(port: port)
    default: try await HummingbirdRelay.run(port: port)
    }
} catch {
    FileHandle.standardError.write(Data("WebSocketFloorBenchmark: \(error)\n".utf8))
    exit(1)
}
