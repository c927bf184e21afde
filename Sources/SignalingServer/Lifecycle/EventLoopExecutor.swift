import NIOCore
import NIOPosix

/// Runs Swift concurrency on the NIO event loops instead of a second thread pool.
///
/// Every relayed message crosses between the socket's event loop and the tasks that decode, route and write it;
/// with two pools each crossing is a thread wake-up, and on a small machine those wake-ups cost more than the work.
/// With one pool most of them disappear (see BENCHMARKS). Must run before any other concurrency work in the
/// process, so only an executable's entry point calls it — never a library or a test.
public enum EventLoopExecutor {
    /// True when the event loops now run Swift concurrency.
    ///
    /// - Parameter threads: how many event loops the process gets (nil: one per core). With one, every hand-off
    ///   between a socket and a task stays on its thread: on a machine shared with other nodes, Redis and clients,
    ///   that costs less CPU per relayed message than spreading one node over every core (see BENCHMARKS.md).
    @discardableResult
    public static func install(threads: Int? = nil) -> Bool {
        if let threads { NIOSingletons.groupLoopCountSuggestion = threads }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
