import SignalingProtocol

/// Which users on other nodes this node's clients have been told about, room by room.
///
/// Membership events can be missed (an outage, a subscription blip) or arrive twice (a node re-announcing
/// its users after recovery). The roster is what lets the node tell its clients exactly the difference:
/// a `UserJoined` only for someone they have not heard of, a `UserLeft` only for someone they have.
/// Only rooms with local members are tracked; nothing here talks to Redis.
struct RemoteRoster: Sendable {
    struct Entry: Sendable, Equatable {
        var username: String
        var node: String
    }

    private(set) var rooms: [String: [UserID: Entry]] = [:]

    /// Records a remote user; true when it is news (the caller tells the room's local clients).
    mutating func add(_ user: UserID, username: String, node: String, room: String) -> Bool {
        let previous = rooms[room, default: [:]].updateValue(Entry(username: username, node: node), forKey: user)
        return previous == nil
    }

    /// Forgets a remote user; true when it was known (the caller tells the room's local clients).
    mutating func remove(_ user: UserID, room: String) -> Bool {
        guard rooms[room]?.removeValue(forKey: user) != nil else { return false }
        if rooms[room]?.isEmpty == true { rooms[room] = nil }
        return true
    }

    /// The last local member left: nobody here needs to know about the room's remote users any more.
    mutating func forget(room: String) {
        rooms[room] = nil
    }

    func members(of room: String) -> [UserID: Entry] {
        rooms[room] ?? [:]
    }

    func entry(_ user: UserID, room: String) -> Entry? {
        rooms[room]?[user]
    }

    /// Every known remote user on `node`, by room.
    func users(on node: String) -> [(room: String, user: UserID)] {
        rooms.flatMap { room, users in users.filter { $0.value.node == node }.map { (room, $0.key) } }
    }
}

/// The reconciliation rule of PROTOCOL.md §2 ("Outages"), as a pure function.
///
/// Given what the room's local clients were told (`known`), what the participants hash says now
/// (`current`, remote entries only), and what is known of each node, it returns who to announce and
/// who to retire. A remote user missing from the hash is retired only when its absence is
/// conclusive: its node is alive again and does not list it, its node was swept, or its node has
/// shown no heartbeat for a whole TTL since this node recovered — a node that has simply not
/// re-registered yet after a Redis restart must not look like one whose users left.
enum Reconciliation {
    struct NodeFacts: Sendable, Equatable {
        var heartbeatLive: Bool
        /// A `ServerSwept` for the node was heard after this node's recovery.
        var sweptSinceRecovery: Bool
        /// The node has had no heartbeat for at least HEARTBEAT_TTL since this node's recovery.
        var silentForTTL: Bool
    }

    struct Outcome: Sendable, Equatable {
        var joined: [(user: UserID, entry: RemoteRoster.Entry)]
        var left: [UserID]
        /// Missing users whose fate is not decided yet: check again later.
        var undecided: [UserID]

        static func == (a: Outcome, b: Outcome) -> Bool {
            a.joined.map(\.user) == b.joined.map(\.user) && a.joined.map(\.entry) == b.joined.map(\.entry)
                && a.left == b.left && a.undecided == b.undecided
        }
    }

    static func reconcile(known: [UserID: RemoteRoster.Entry], current: [UserID: RemoteRoster.Entry],
                          facts: (String) -> NodeFacts) -> Outcome {
        var outcome = Outcome(joined: [], left: [], undecided: [])
        for (user, entry) in current.sorted(by: { $0.key < $1.key }) where known[user] == nil {
            outcome.joined.append((user, entry))
        }
        for (user, entry) in known.sorted(by: { $0.key < $1.key }) {
            if let now = current[user] {
                // Listed again, possibly under another node (a reconnect elsewhere): still present.
                _ = now
                continue
            }
            let f = facts(entry.node)
            if f.heartbeatLive || f.sweptSinceRecovery || f.silentForTTL {
                outcome.left.append(user)
            } else {
                outcome.undecided.append(user)
            }
        }
        return outcome
    }
}
