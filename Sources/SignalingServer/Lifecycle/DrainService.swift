import ServiceLifecycle

/// Closes the clients when graceful shutdown begins.
///
/// Listed after the HTTP server in the node's service group, so it is shut down first: clients get `UserLeft`s
/// and close 1001 from the node before the HTTP server's own shutdown would close them with 1000.
struct DrainService: Service {
    let node: SignalingNode

    func run() async throws {
        // Cancellation (not graceful shutdown) also ends the wait; then there is nobody left to be polite to.
        guard (try? await gracefulShutdown()) != nil else { return }
        await node.drain()
    }
}
