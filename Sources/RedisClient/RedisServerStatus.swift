import Foundation

/// Which server a reconnecting client uses and when it last changed: for a Sentinel URL, the master and the last
/// failover the client followed (`/health`, `/metrics`).
public struct RedisServerStatus: Sendable, Equatable {
    /// `host:port` of the server of the current (or last) connection; nil before the first.
    public var address: String?
    /// When the client first connected to a different server than before; nil: never.
    public var lastSwitch: Date?
    /// How many times that happened.
    public var switches = 0

    public init(address: String? = nil, lastSwitch: Date? = nil, switches: Int = 0) {
        self.address = address
        self.lastSwitch = lastSwitch
        self.switches = switches
    }

    /// Records a connection; the previous address when it is a switch.
    mutating func connected(to server: String) -> String? {
        defer { address = server }
        guard let previous = address, previous != server else { return nil }
        lastSwitch = Date()
        switches += 1
        return previous
    }
}
