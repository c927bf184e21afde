/// Whether this node is part of the cluster right now, as a pure state machine.
///
/// Two links must be up for cluster mode: the command connection (registry, relays, heartbeats)
/// and the pub/sub subscription (membership events and signals from other nodes). Losing either
/// drops the node to local mode at once; when both are back the node recovers (re-registers its
/// users, re-announces itself, reconciles its rooms) and only then counts as clustered again.
/// A subscription that comes back after a blip also needs recovery: messages were missed.
///
/// No sockets, no clocks: the coordinator feeds it inputs and performs the actions it returns, so
/// every transition is tested on its own.
public struct ClusterLink: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// Clustered: both links up and recovery done.
        case connected
        /// Local mode: a link is down (or recovery failed); waiting for both links.
        case degraded
        /// Both links up; re-registering and reconciling. Still local mode for clients.
        case recovering
    }

    public enum Input: Sendable, Equatable {
        case commandLinkUp
        case commandLinkDown
        /// The subscription is live on a connection; `reconnect` means messages may have been missed.
        case subscribed(reconnect: Bool)
        case subscriptionLost
        case recoveryFinished(success: Bool)
        /// The node's own heartbeat or connections hash vanished while it was connected (swept while
        /// alive, or Redis restarted empty between two heartbeats).
        case foundSelfMissing
        /// A periodic tick: retries a failed recovery.
        case tick
    }

    public enum Action: Sendable, Equatable {
        /// Re-register every local user and the heartbeat, raise the id counter, announce
        /// `ServerStarted` and the local users, reconcile local rooms; then report `recoveryFinished`.
        case recover
        /// Stop using Redis for routing; cross-node relays answer `server_busy`.
        case enterLocalMode
        /// Recovery finished: routing through the cluster again.
        case enterClusterMode
    }

    public private(set) var mode: Mode = .degraded
    public private(set) var commandLinkUp = false
    public private(set) var subscriptionUp = false

    public init() {}

    /// Clients are routed through the cluster only in this state.
    public var isClustered: Bool { mode == .connected }

    public mutating func handle(_ input: Input) -> [Action] {
        switch input {
        case .commandLinkUp:
            commandLinkUp = true
            return startRecoveryIfReady()
        case .commandLinkDown:
            commandLinkUp = false
            return degrade()
        case .subscribed(let reconnect):
            subscriptionUp = true
            if mode == .connected && reconnect {
                // The command link stayed up but the subscription blipped: we missed messages.
                mode = .recovering
                return [.enterLocalMode, .recover]
            }
            return startRecoveryIfReady()
        case .subscriptionLost:
            subscriptionUp = false
            return degrade()
        case .recoveryFinished(let success):
            guard mode == .recovering else { return [] }
            if success && commandLinkUp && subscriptionUp {
                mode = .connected
                return [.enterClusterMode]
            }
            mode = .degraded
            return []
        case .foundSelfMissing:
            guard mode == .connected else { return [] }
            mode = .recovering
            return [.enterLocalMode, .recover]
        case .tick:
            return startRecoveryIfReady()
        }
    }

    private mutating func startRecoveryIfReady() -> [Action] {
        guard mode == .degraded, commandLinkUp, subscriptionUp else { return [] }
        mode = .recovering
        return [.recover]
    }

    private mutating func degrade() -> [Action] {
        switch mode {
        case .connected:
            mode = .degraded
            return [.enterLocalMode]
        case .recovering:
            // The recovery in progress will report failure; nothing routes through the cluster yet.
            mode = .degraded
            return []
        case .degraded:
            return []
        }
    }
}
