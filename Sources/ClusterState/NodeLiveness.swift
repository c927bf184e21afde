/// What the schema says about a node, from two facts: does its connections hash exist, does its heartbeat key exist.
public enum NodeLiveness: String, Sendable, Hashable, Codable {
    /// The heartbeat key exists (its connections hash may or may not: a node with no users has none).
    case alive
    /// The connections hash exists and the heartbeat key does not: the node is gone without cleaning up. Sweep it.
    case dead
    /// Neither exists: nothing of the node is left (never started, shut down cleanly, or already swept).
    case gone

    public init(connectionsHashExists: Bool, heartbeatExists: Bool) {
        if heartbeatExists {
            self = .alive
        } else {
            self = connectionsHashExists ? .dead : .gone
        }
    }

    /// The contract's dead-node rule: a node is dead when its connections hash exists and its heartbeat key does not.
    public static func isDead(connectionsHashExists: Bool, heartbeatExists: Bool) -> Bool {
        connectionsHashExists && !heartbeatExists
    }
}
