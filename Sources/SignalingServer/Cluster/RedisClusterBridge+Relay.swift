import ClusterState
import NIOCore
import RedisClient

extension RedisClusterBridge {
    /// The relay of a connection's event loop: the script is written to the command connection before this returns,
    /// with no task and no wait, so a client's signals reach Redis in the order it sent them; the outcome comes back
    /// with the reply. Without a live connection the cluster is unreachable right now (`server_busy`), as for the
    /// async relay.
    public func relay(_ signal: RelaySignal, completion: @escaping @Sendable (RelayOutcome) -> Void) {
        guard isClustered, let connection = client.liveConnection else { return completion(.unavailable) }
        guard let message = SignalTranslation.clusterSignal(signal, source: nodeID) else {
            return completion(.targetNotFound)
        }
        registry.relay(message, from: nodeID, routing: routing, on: connection).whenComplete { result in
            switch result {
            case .success(.published): completion(.delivered)
            case .success(.notInRoom), .success(.nodeDead), .success(.onSender), .success(.noReceiver):
                completion(.targetNotFound)
            case .failure: completion(.unavailable)
            }
        }
    }
}
