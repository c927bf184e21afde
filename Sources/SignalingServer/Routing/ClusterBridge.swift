import Foundation
import Logging
import RedisClient
import ServiceLifecycle
import SignalingProtocol

/// The one seam where cluster mode plugs into the node.
///
/// The node always handles its own connections itself (`RoomHub`): checks, local membership, and delivery to users
/// on this node, with no cluster round trip on that path. Every step that concerns the world beyond this process
/// goes through a `ClusterBridge`:
///
/// | node event                  | bridge call                           | local bridge         | cluster bridge (issue 5)                     |
/// |-----------------------------|---------------------------------------|----------------------|----------------------------------------------|
/// | first `Join` without token  | `nextUserID()`                        | counter              | leased block of `users:next_id`              |
/// | `Join` (before `RoomJoined`) | `register(_:)` → others elsewhere     | `[]`                 | participants + connections hash, `UserJoined` |
/// | `Leave`, close, shutdown    | `unregister(_:)`                      | nothing              | remove from both hashes, `UserLeft`           |
/// | relay to a non-local target | `relay(_:)` → outcome                 | `.targetNotFound`    | `WebRTCSignal` direct or broadcast            |
/// | authenticated (re)connect   | `claim(userID:connectionID:)`         | nothing              | `UserReplaced`, wait ≤ 2 s                    |
/// | graceful shutdown begins    | `nodeStopping()`                      | nothing              | `ServerStopping`                              |
///
/// Traffic from other nodes comes in the other direction, through `LocalDelivery`, which the node's `RoomHub`
/// implements and which the bridge receives when it is made (`ClusterBridgeFactory`).
///
/// A bridge is a `Service`: `run()` lives as long as the node (heartbeat, subscription, sweeping) and returns after
/// graceful shutdown, once its own deregistration is done. The node drains its connections (calling `unregister`
/// for each member) *before* the bridge is asked to shut down.
public protocol ClusterBridge: UserIDSource, Service {
    /// For `/health`. Must not block: read a cached value.
    var status: ClusterStatus { get }

    /// For `/health` and `/metrics`: the Redis server the command connection uses (with a Sentinel URL, the master it
    /// found) and when that last changed; nil without Redis. Must not block.
    var redisServer: RedisServerStatus? { get }

    /// Records `member` as in `member.room` and announces it to the other nodes; returns the room's members on
    /// *other* nodes, which the node merges with its local ones into `RoomJoined.participants` (duplicates and the
    /// joiner itself are removed by the node). Called before the joiner's `RoomJoined` is sent. A thrown error is
    /// sent to the joiner and the join is abandoned; a bridge that has lost the cluster should rather return `[]`
    /// (local mode) than fail.
    func register(_ member: RoomMember) async throws(ProtocolError) -> [Participant]

    /// `member` has left its room (Leave, disconnect, replacement or shutdown). Local room-mates have already
    /// been told; the bridge tells the rest of the cluster.
    func unregister(_ member: RoomMember) async

    /// Delivers a signal to a target that is not on this node. Local targets never reach the bridge.
    func relay(_ signal: RelaySignal) async -> RelayOutcome

    /// The same, called on a connection's event loop, which must not wait: the signal is handed on before this
    /// returns (so signals relayed in order leave in order) and `completion` gets the outcome, on any thread.
    func relay(_ signal: RelaySignal, completion: @escaping @Sendable (RelayOutcome) -> Void)

    /// An authenticated user is now on `connectionID`: other nodes must close that user's older connections
    /// (`UserReplaced`). The node has already replaced older connections of its own. Returns once the others had
    /// their chance (at most about 2 s), so the new registration does not race the old one's removal.
    func claim(userID: UserID, connectionID: UUID) async

    /// Graceful shutdown has begun: called once, before the node unregisters its members and closes its clients.
    func nodeStopping() async
}

/// What the node offers the cluster layer for traffic that arrives from other nodes. Implemented by `RoomHub`.
///
/// Deliveries never wait on a client: they queue frames on the local connections' bounded queues and return.
public protocol LocalDelivery: Sendable {
    /// Sends `message` (a `UserJoined` or `UserLeft` from another node) to this node's members of `room`, except
    /// `excluding` (never back to the user it is about).
    func deliver(_ message: ServerMessage, toMembersOf room: String, excluding: UserID?)

    /// Sends a relayed signal to `userID` if that user is a member of `room` on this node. False when not (the
    /// sender's node is told `target_not_found` only for direct routing; see PROTOCOL.md §2).
    @discardableResult
    func deliver(_ message: ServerMessage, to userID: UserID, in room: String) -> Bool

    /// Closes this node's connections of `userID` other than `keeping` (Error `replaced`, close 4000), removing
    /// them from their rooms (local room-mates get `UserLeft`). Returns the memberships removed, which the bridge
    /// unregisters.
    func replaceUser(_ userID: UserID, keeping: UUID?) -> [RoomMember]

    /// Every member on this node, for re-registration after an outage.
    func localMembers() -> [RoomMember]

    /// This node's members of one room, for reconciliation.
    func localMembers(of room: String) -> [RoomMember]

    /// The members that have finished joining (their `RoomJoined` is out). In cluster mode that comes after the
    /// registration was attempted, so such a member's record is expected in Redis unless its registration failed;
    /// a joiner still registering is not listed, nor is a member already on its way out.
    func joinedMembers() -> [RoomMember]
}

extension ClusterBridge {
    /// For bridges without a non-blocking path: the async relay in a task of its own (order is not kept).
    public func relay(_ signal: RelaySignal, completion: @escaping @Sendable (RelayOutcome) -> Void) {
        Task { completion(await relay(signal)) }
    }
}

/// Makes the bridge for a node. The node passes its `RoomHub` as the `LocalDelivery`.
public typealias ClusterBridgeFactory =
    @Sendable (_ configuration: NodeConfiguration, _ local: any LocalDelivery, _ logger: Logger) -> any ClusterBridge

extension ClusterBridge {
    public var redisServer: RedisServerStatus? { nil }
}
