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
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
