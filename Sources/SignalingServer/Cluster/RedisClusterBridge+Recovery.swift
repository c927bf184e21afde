import ClusterState
import Foundation
import Logging
import RedisClient
import SignalingProtocol

/// Entering (or re-entering) the cluster, and keeping local rooms in step with the participants hashes.
extension RedisClusterBridge {
    /// Re-registers every local user and the heartbeat, raises the id counter above local ids, announces
    /// `ServerStarted` and every local user, and reconciles every local room (PROTOCOL.md §2, "Outages").
    /// Also removes this node's records of users who left while Redis was away. True when all of it worked.
    func recover() async -> Bool {
        withMembership { $0.recoveryStarted() }
        defer { withMembership { $0.recoveryEnded() } }
        do {
            var members = local.localMembers()
            let present = Set(members.map(MemberKey.init))
            for record in try await registry.records(onNode: nodeID)
            where !present.contains(MemberKey(user: record.userID, room: record.roomID)) {
                try await unregisterTolerantly(userID: record.userID, room: record.roomID, connectionID: record.connectionID)
            }
            try await registerEach(members)
            try await registry.writeHeartbeat(node: nodeID, ttl: configuration.heartbeatTTL, now: Self.unixNow())
            // Provisional ids (upper half of the space) never came from the counter; leave it out of their range.
            let highestLeasedKind = members.map(\.userID).filter { $0 < ProvisionalUserIDs.floor }.max() ?? 0
            do {
                try await ids.raiseCounter(atLeast: highestLeasedKind)
            } catch RedisError.server(let message) {
                // The shared counter is unusable (not an integer): staying out of the cluster would not mend it, and
                // without leases new joins take provisional ids, which collide with no leased one.
                logger.error("cannot raise the user-id counter; new users get provisional ids until it is repaired",
                             metadata: ["key": "\(ClusterKeys.nextUserID)", "error": "\(message)"])
            }
            try? await ids.refill(below: refillThreshold)

            // Users who joined while the steps above ran were not in the snapshot: register them too.
            var registered = present
            for _ in 0..<3 {
                let late = local.localMembers().filter { !registered.contains(MemberKey($0)) }
                if late.isEmpty { break }
                try await registerEach(late)
                registered.formUnion(late.map(MemberKey.init))
                members += late
            }

            // Users who left while the steps above ran may have been written back by them (their unregistration
            // can run before `registerEach`): remove those records again, and announce only who is still here.
            let stillHere = Set(local.localMembers().map(MemberKey.init))
            for member in members where !stillHere.contains(MemberKey(member)) {
                try await unregisterTolerantly(userID: member.userID, room: member.room,
                                               connectionID: ConnectionRecord.connectionID(member.connectionID))
            }
            members.removeAll { !stillHere.contains(MemberKey($0)) }

            try await registry.publish(ClusterEvent.serverStarted(nodeID: nodeID, at: Self.unixNow()))
            // A member can still leave now; its unregistration and these announcements are each atomic in Redis,
            // so other nodes never hear its `UserJoined` after its `UserLeft`.
            try await registry.announceJoined(members.map(ConnectionRecord.init), node: nodeID)
            withMembership { $0.recovered(at: .now) }
            await reconcile(rooms: Set(local.localMembers().map(\.room)))
            logger.info("registered in the cluster", metadata: ["members": "\(members.count)"])
            return true
        } catch {
            logger.warning("re-entering the cluster failed; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Registers members for recovery. One whose registration Redis refuses (its room's key holds another type,
    /// say) is owed instead, retried every heartbeat interval, so that one bad key neither keeps the node out of
    /// the cluster nor leaves its heartbeat unwritten (which would get all its users swept).
    private func registerEach(_ members: [RoomMember]) async throws(RedisError) {
        let failures = try await registry.registerEach(members.map(ConnectionRecord.init), node: nodeID)
        for (member, failure) in zip(members, failures) {
            guard let failure else {
                withMembership { $0.registered(member) }
                continue
            }
            withMembership { $0.registrationRefused(member) }
            logger.warning("cluster registration failed; will retry",
                           metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)", "error": "\(failure)"])
        }
    }

    /// Removes a record of this node's for recovery; an error reply about that one record (its room's key holds
    /// another type, say) is logged and skipped rather than failing the whole recovery. Lost connections still fail it.
    private func unregisterTolerantly(userID: UserID, room: String, connectionID: String) async throws(RedisError) {
        do {
            try await registry.unregister(userID: userID, room: room, node: nodeID, connectionID: connectionID, announce: true)
        } catch .server(let message) {
            logger.warning("cannot remove a stale cluster record",
                           metadata: ["room.id": "\(room)", "user.id": "\(userID)", "error": "\(message)"])
        }
    }

    /// Registers the members whose join could not be registered although the node stayed clustered, and tells
    /// the cluster and them what the failure kept from them. A member may leave meanwhile: its record is removed
    /// again if so, and its `UserJoined` goes out only while its record stands (`announceJoined`).
    func registerOwed() async {
        let owed = withMembership { $0.owedMembers }
        func isHere(_ member: RoomMember) -> Bool {
            local.localMembers(of: member.room).contains { $0.userID == member.userID && $0.connectionID == member.connectionID }
        }
        var rooms: Set<String> = []
        for member in owed {
            guard isHere(member) else {
                withMembership { $0.registered(member) }
                continue
            }
            let record = ConnectionRecord(member)
            withMembership { $0.retryStarted() }
            do {
                if let holder = try await registry.registerUnlessTaken(record, node: nodeID) {
                    // The user connected again on another node; the claim there closes this connection soon.
                    logger.debug("registration retry skipped: the user is registered on another node",
                                 metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)", "holder": "\(holder)"])
                    continue
                }
                if isHere(member) {
                    try await registry.announceJoined([record], node: nodeID)
                    rooms.insert(member.room)
                } else {
                    try await registry.unregister(userID: member.userID, room: member.room, node: nodeID,
                                                  connectionID: record.connectionID, announce: true)
                }
                withMembership { $0.registered(member) }
                logger.info("registered a member whose join registration had failed",
                            metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)"])
            } catch {
                logger.debug("registration retry failed",
                             metadata: ["room.id": "\(member.room)", "user.id": "\(member.userID)", "error": "\(error)"])
            }
        }
        // The members were told of local users only: reconciliation tells them (and only them) the rest.
        await reconcile(rooms: rooms)
    }

    /// Brings each local room's view of remote users in line with its participants hash, telling the room's
    /// local clients only what they missed.
    func reconcile(rooms: Set<String>) async {
        for room in rooms.sorted() {
            guard !local.localMembers(of: room).isEmpty else {
                withMembership { $0.roomEmptied(room) }
                continue
            }
            do {
                try await reconcile(room: room)
            } catch {
                logger.debug("reconciliation failed", metadata: ["room.id": "\(room)", "error": "\(error)"])
                withMembership { $0.reconcileFailed(room) }
            }
        }
    }

    private func reconcile(room: String) async throws {
        // Heartbeats first, then the hash: a node writes its heartbeat only after registering its users, so a
        // heartbeat seen before the hash was read makes a user's absence from the hash conclusive. (Read the
        // other way round, a node that registered in between would look as if its users had left.)
        let knownNodes = withMembership { $0.nodesKnown(in: room) }
        let live = try await registry.heartbeatsExist(nodes: Array(knownNodes))
        let participants = try await registry.participants(inRoom: room)
        // Decided under the lock and delivered in that order, so that a `UserJoined` or `UserLeft` heard from another
        // node meanwhile cannot overtake these (a client told of a departure before the arrival would keep the user).
        decide { $0.reconciled(room: room, live: live, participants: participants, now: .now) }
    }
}
