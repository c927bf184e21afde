import Foundation
import ServiceLifecycle
import SignalingProtocol

/// The bridge of a node on its own: no other nodes, so nothing to register or announce, and a target that is not
/// local does not exist.
public struct LocalBridge: ClusterBridge {
    private let ids: any UserIDSource

    public init(ids: any UserIDSource = LocalUserIDSource()) {
        self.ids = ids
    }

    public var status: ClusterStatus { .standalone }

    public func nextUserID() async throws -> UserID { try await ids.nextUserID() }

    public func nextUserIDNow() throws -> UserID? { try ids.nextUserIDNow() }

    public func register(_ member: RoomMember) async throws(ProtocolError) -> [Participant] { [] }

    public func unregister(_ member: RoomMember) async {}

    public func relay(_ signal: RelaySignal) async -> RelayOutcome { .targetNotFound }

    public func relay(_ signal: RelaySignal, completion: @escaping @Sendable (RelayOutcome) -> Void) {
        completion(.targetNotFound)
    }

    public func claim(userID: UserID, connectionID: UUID) async {}

    public func nodeStopping() async {}

    /// Nothing runs in the background; stays up until shutdown so the service group does not end early.
    public func run() async throws {
        try? await gracefulShutdown()
    }
}
