#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import RedisClient

/// The value of a sweep claim key: `"<token> <sweeper>"`. The token (a UUID) makes each sweep run's claim its own,
/// even when two runs share a sweeper id; the sweeper id is what operators are shown.
enum SweepClaim {
    static func value(token: String, sweeper: String) -> String { token + " " + sweeper }

    static func sweeper(fromValue value: String) -> String {
        guard let space = value.firstIndex(of: " ") else { return value }
        return String(value[value.index(after: space)...])
    }
}

/// Sweeping dead nodes (PROTOCOL.md §2).
///
/// **Claiming.** A sweeper claims a dead node by creating `servers:{node}:sweeping` with `SET … NX PX <lease>`, in
/// the same script that re-checks the dead-node rule. Only the holder changes anything; a second sweeper finds the
/// claim and does nothing, announces nothing. The claim is renewed by every batch and deleted at the end; if a
/// sweeper dies, it expires after the lease and the next sweep finishes the job (entries are deleted as they are
/// processed, so nothing is processed twice).
///
/// **Batches.** The connections hash is read with HSCAN (`batchSize` entries at a time) and each batch goes to one
/// script that, per user, deletes the connections entry and — only when that entry was still there and the
/// participants entry still names the dead node — deletes the participants entry and publishes that user's
/// `UserLeft`. Removal and announcement are one atomic step: a user is announced exactly once, whoever removes it
/// (another sweeper after a takeover, or the node itself unregistering with `announce`). The `UserLeft` carries the
/// dead node's id as `source_server`: it speaks for that node, so every live node (the sweeper included) delivers it.
/// The last script checks that the hash is empty, releases the claim and publishes the single `ServerSwept`.
extension ClusterRegistry {
    public static let defaultSweepBatchSize = 200
    public static let defaultSweepLease: Duration = .seconds(30)

    /// Sweeps every dead node (or only `node`): see the type's documentation for how.
    ///
    /// - Parameters:
    ///   - dryRun: read only: report what a sweep would remove, change nothing, publish nothing.
    ///   - node: sweep this node only (reported whatever its state); nil: every node with a connections hash.
    ///   - sweeper: who sweeps (a node id, or `sigctl`): the `by` of `ServerSwept`.
    ///   - batchSize: entries per HSCAN call and per script call (keeps every command short).
    ///   - lease: how long a claim lives without being renewed.
    public func sweep(dryRun: Bool = false, only node: String? = nil, by sweeper: String,
                      batchSize: Int = defaultSweepBatchSize, lease: Duration = defaultSweepLease) async throws -> SweepReport {
        let batchSize = max(1, batchSize)
        var candidates: [String]
        if let node {
            candidates = [node]
        } else {
            var found = Set<String>()
            for try await batch in redis.scan(match: ClusterKeys.connectionsPattern, count: 1000) {
                found.formUnion(batch.compactMap { ClusterKeys.node(fromConnectionsKey: $0.name) })
            }
            candidates = found.sorted()
        }
        var commands: [RedisCommand] = []
        for candidate in candidates {
            commands.append(RedisCommand("EXISTS", ClusterKeys.connections(node: candidate)))
            commands.append(RedisCommand("EXISTS", ClusterKeys.heartbeat(node: candidate)))
        }
        let replies = try await redis.pipelineChecked(commands)
        var reports: [NodeSweep] = []
        for (k, candidate) in candidates.enumerated() {
            let liveness = NodeLiveness(connectionsHashExists: replies[2 * k].int == 1, heartbeatExists: replies[2 * k + 1].int == 1)
            switch liveness {
            case .alive: reports.append(NodeSweep(nodeID: candidate, outcome: .alive))
            case .gone: reports.append(NodeSweep(nodeID: candidate, outcome: .gone))
            case .dead:
                if dryRun {
                    reports.append(try await dryRunNode(candidate, batchSize: batchSize))
                } else {
                    reports.append(try await sweepNode(candidate, by: sweeper, batchSize: batchSize, lease: lease))
                }
            }
        }
        return SweepReport(sweeper: sweeper, dryRun: dryRun, nodes: reports)
    }

    /// The Redis commands a sweep runs, in order, for `sigctl sweep --explain`.
    public static func sweepPlan(dryRun: Bool = false, only node: String? = nil, by sweeper: String,
                                 batchSize: Int = defaultSweepBatchSize, lease: Duration = defaultSweepLease) -> [SweepStep] {
        let n = node ?? "{node}"
        let conn = ClusterKeys.connections(node: n), hb = ClusterKeys.heartbeat(node: n), claim = ClusterKeys.sweepClaim(node: n)
        let leaseMs = lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000
        var steps: [SweepStep] = []
        if node == nil {
            steps.append(SweepStep(command: "SCAN <cursor> MATCH \(ClusterKeys.connectionsPattern) COUNT 1000",
                                   purpose: "find every node that has a connections hash (repeated until the cursor is 0)"))
        }
        steps.append(SweepStep(command: "EXISTS \(conn) ; EXISTS \(hb)",
                               purpose: "one pipeline for all nodes: a node is dead when its connections hash exists and its heartbeat does not"))
        if dryRun {
            steps.append(SweepStep(command: "HSCAN \(conn) <cursor> COUNT \(batchSize)", purpose: "read the dead node's records in batches"))
            steps.append(SweepStep(command: "HGET \(ClusterKeys.participants(room: "{room}")) {user} (pipelined, one per record)",
                                   purpose: "would remove the entry if it names \(n), else would skip it (user moved); nothing is written"))
            return steps
        }
        steps.append(SweepStep(
            command: "EVALSHA \(ClusterScripts.sweepClaim.sha1) 3 \(conn) \(hb) \(claim) \"<token> \(sweeper)\" \(leaseMs)",
            purpose: "claim: re-check that \(n) is dead, then SET \(claim) NX PX \(leaseMs); if another sweeper holds it, stop here"))
        steps.append(SweepStep(command: "HSCAN \(conn) <cursor> COUNT \(batchSize)",
                               purpose: "read the dead node's records in batches (repeated until the cursor is 0)"))
        steps.append(SweepStep(
            command: "EVALSHA \(ClusterScripts.sweepBatch.sha1) <3+n> \(conn) \(hb) \(claim) \(ClusterKeys.participants(room: "{room}"))… \(n) <claim> \(leaseMs) \(ClusterChannels.messages) <n> {user} {UserLeft}…",
            purpose: "per batch of ≤\(batchSize): check the claim and that \(hb) is still missing, PEXPIRE \(claim); per user HDEL \(conn) {user}, then if HGET \(ClusterKeys.participants(room: "{room}")) {user} is \(n): HDEL it and PUBLISH \(ClusterChannels.messages) {\"UserLeft\":…}"))
        steps.append(SweepStep(
            command: "EVALSHA \(ClusterScripts.sweepFinish.sha1) 3 \(conn) \(hb) \(claim) <claim> \(ClusterChannels.events) {ServerSwept} <removed>",
            purpose: "if \(conn) is now empty (gone): DEL \(claim) and PUBLISH \(ClusterChannels.events) {\"ServerSwept\":…}; else scan again"))
        return steps
    }

    /// What a sweep would run on each node that `report` (a dry run) found dead, with its keys, users and payloads
    /// filled in, for `sigctl sweep --dry-run --explain`. Scripts are shown with the commands they run inside.
    public static func explain(_ report: SweepReport, batchSize: Int = defaultSweepBatchSize,
                               lease: Duration = defaultSweepLease, now: Int64) -> SweepExplanation {
        let nodes = report.nodes.filter { $0.outcome == .wouldSweep }.map { node in
            SweepExplanation.Node(nodeID: node.nodeID, usersRemoved: node.usersRemoved,
                                  steps: sweepPlan(for: node, by: report.sweeper, batchSize: batchSize, lease: lease, now: now))
        }
        return SweepExplanation(sweeper: report.sweeper, nodes: nodes)
    }

    /// The Redis commands a sweep of one dead node runs, concretely: its claim, its records read in batches, per
    /// user the entries deleted and the `UserLeft` published (inside the batch script), and the finish.
    static func sweepPlan(for node: NodeSweep, by sweeper: String, batchSize: Int, lease: Duration, now: Int64) -> [SweepStep] {
        let n = node.nodeID
        let batchSize = max(1, batchSize)
        let conn = ClusterKeys.connections(node: n), hb = ClusterKeys.heartbeat(node: n), claim = ClusterKeys.sweepClaim(node: n)
        let leaseMs = max(1, lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000)
        var steps = [
            SweepStep(command: "EVALSHA \(ClusterScripts.sweepClaim.sha1) 3 \(conn) \(hb) \(claim) \"<token> \(sweeper)\" \(leaseMs)",
                      purpose: "claim: re-check that \(n) is dead (\(conn) exists, \(hb) does not), then SET \(claim) NX PX "
                          + "\(leaseMs); if another sweeper holds it, stop here"),
            SweepStep(command: "HSCAN \(conn) <cursor> COUNT \(batchSize)",
                      purpose: "read \(n)'s \(node.recordsRemoved) record(s) in batches (repeated until the cursor is 0)"),
        ]
        let batches = max(1, (node.recordsRemoved + batchSize - 1) / batchSize)
        steps.append(SweepStep(
            command: "EVALSHA \(ClusterScripts.sweepBatch.sha1) <3+n> \(conn) \(hb) \(claim) <n rooms' participants keys> \(n) "
                + "\"<token> \(sweeper)\" \(leaseMs) \(ClusterChannels.messages) <n> <user, UserLeft>… (\(batches) batch\(batches == 1 ? "" : "es") "
                + "of ≤\(batchSize))",
            purpose: "per batch: check the claim and that \(hb) is still missing, PEXPIRE \(claim) \(leaseMs); then, inside "
                + "the script, the commands below"))
        for user in node.removed {
            let left = ClusterMessage.userLeft(.init(roomID: user.roomID, userID: user.userID, targetServer: nil, sourceServer: n))
            steps.append(SweepStep(command: "HDEL \(conn) \(user.userID)", purpose: "user \(user.userID)'s record"))
            steps.append(SweepStep(command: "HDEL \(ClusterKeys.participants(room: user.roomID)) \(user.userID)",
                                   purpose: "user \(user.userID) leaves \(user.roomID): its entry names \(n)"))
            steps.append(SweepStep(command: "PUBLISH \(ClusterChannels.messages) \(left.jsonText)",
                                   purpose: "tell every node that user \(user.userID) left \(user.roomID)"))
        }
        for user in node.skipped {
            let entry = user.currentNode.map { "names \($0) now" } ?? "has no entry"
            steps.append(SweepStep(command: "HDEL \(conn) \(user.userID)",
                                   purpose: "user \(user.userID)'s record only: its entry in \(ClusterKeys.participants(room: user.roomID)) "
                                       + "\(entry), so it stays and nothing is announced"))
        }
        if node.unreadableRecords > 0 {
            steps.append(SweepStep(command: "HDEL \(conn) <field> (×\(node.unreadableRecords))",
                                   purpose: "\(node.unreadableRecords) unreadable record(s): deleted, nothing announced"))
        }
        let swept = ClusterEvent.serverSwept(nodeID: n, usersRemoved: node.usersRemoved, by: sweeper, at: now)
        steps.append(SweepStep(
            command: "EVALSHA \(ClusterScripts.sweepFinish.sha1) 3 \(conn) \(hb) \(claim) \"<token> \(sweeper)\" \(ClusterChannels.events) "
                + "<the ServerSwept below> \(node.usersRemoved > 0 ? 1 : 0)",
            purpose: "if \(conn) is now empty (and so gone): release the claim and announce the sweep with the commands below; "
                + "else scan again"))
        steps.append(SweepStep(command: "DEL \(claim)", purpose: "release the claim"))
        steps.append(SweepStep(command: "PUBLISH \(ClusterChannels.events) \(swept.jsonText)",
                               purpose: "one ServerSwept for \(n) (\"at\" is the time of the sweep)"))
        return steps
    }

    // MARK: - One node

    private func sweepNode(_ node: String, by sweeper: String, batchSize: Int, lease: Duration) async throws -> NodeSweep {
        let keys: [any RedisArgument] = [ClusterKeys.connections(node: node), ClusterKeys.heartbeat(node: node), ClusterKeys.sweepClaim(node: node)]
        let claim = SweepClaim.value(token: UUID().uuidString.lowercased(), sweeper: sweeper)
        let leaseMs = max(1, lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000)
        let claimed = try await redis.run(ClusterScripts.sweepClaim, keys: keys, arguments: [claim, leaseMs]).array ?? []
        switch claimed.first?.string {
        case "ok": break
        case "alive": return NodeSweep(nodeID: node, outcome: .alive)
        case "gone": return NodeSweep(nodeID: node, outcome: .gone)
        case "claimed":
            return NodeSweep(nodeID: node, outcome: .claimedByOther, claimedBy: claimed.count > 1 ? claimed[1].string.map(SweepClaim.sweeper(fromValue:)) : nil)
        default: throw RedisError.protocolError("unexpected sweep claim reply \(claimed)")
        }

        var report = NodeSweep(nodeID: node, outcome: .swept)
        let started = ContinuousClock.now
        var pass = 0
        sweeping: while true {
            pass += 1
            for try await batch in redis.hscan(ClusterKeys.connections(node: node), count: batchSize) {
                var start = 0
                while start < batch.count {
                    let chunk = batch[start..<min(start + batchSize, batch.count)]
                    start += batchSize
                    switch try await sweepBatch(chunk, node: node, keys: keys, claim: claim, leaseMs: leaseMs, into: &report) {
                    case "ok": continue
                    case "lost":
                        report.outcome = .lostClaim
                        break sweeping
                    case "alive":
                        report.outcome = .revived
                        try await finish(node, keys: keys, claim: claim, sweeper: sweeper, report: report)
                        break sweeping
                    case let other: throw RedisError.protocolError("unexpected sweep batch status \(other)")
                    }
                }
            }
            switch try await finish(node, keys: keys, claim: claim, sweeper: sweeper, report: report) {
            case "ok": break sweeping
            case "more" where pass < 5: continue sweeping
            case "more": report.outcome = .incomplete; break sweeping
            case "lost": report.outcome = .lostClaim; break sweeping
            case "alive": report.outcome = .revived; break sweeping
            case let other: throw RedisError.protocolError("unexpected sweep finish status \(other)")
            }
        }
        logger.info("swept dead node", metadata: [
            "node.id": "\(node)", "sweep.by": "\(sweeper)", "sweep.outcome": "\(report.outcome.rawValue)",
            "users.removed": "\(report.usersRemoved)", "users.skipped": "\(report.skipped.count)",
            "sweep.duration": "\(ContinuousClock.now - started)",
        ])
        return report
    }

    /// One batch through the batch script. Returns its status (`ok`, `lost`, `alive`).
    private func sweepBatch(_ items: ArraySlice<RedisScanSequence.ScanItem>, node: String, keys: [any RedisArgument],
                            claim: String, leaseMs: Int64, into report: inout NodeSweep) async throws -> String {
        var scriptKeys = keys
        var readable: [(field: String, user: UInt64, room: String)] = []
        var pairs: [any RedisArgument] = []
        var unreadable: [any RedisArgument] = []
        for case .field(let name, let value) in items {
            if let record = try? ConnectionRecord(json: value) {
                let user = UInt64(name) ?? record.userID
                readable.append((name, user, record.roomID))
                scriptKeys.append(ClusterKeys.participants(room: record.roomID))
                let left = ClusterMessage.userLeft(.init(roomID: record.roomID, userID: user, targetServer: nil, sourceServer: node))
                pairs.append(name)
                pairs.append(left.jsonBytes)
            } else {
                unreadable.append(name)
            }
        }
        let arguments: [any RedisArgument] = [node, claim, leaseMs, ClusterChannels.messages, readable.count] + pairs + unreadable
        let reply = try await redis.run(ClusterScripts.sweepBatch, keys: scriptKeys, arguments: arguments)
        guard let parts = reply.array, let status = parts.first?.string else {
            throw RedisError.protocolError("unexpected sweep batch reply \(reply)")
        }
        guard status == "ok", parts.count == 4 else { return status }
        for index in parts[1].array ?? [] {
            guard let i = index.int, i >= 1, i <= readable.count else { continue }
            report.removed.append(SweptUser(userID: readable[Int(i) - 1].user, roomID: readable[Int(i) - 1].room))
        }
        let skipped = parts[2].array ?? []
        var k = 0
        while k + 1 < skipped.count {
            if let i = skipped[k].int, i >= 1, i <= readable.count {
                let owner = skipped[k + 1].string ?? ""
                report.skipped.append(SkippedUser(userID: readable[Int(i) - 1].user, roomID: readable[Int(i) - 1].room,
                                                  currentNode: owner.isEmpty ? nil : owner))
            }
            k += 2
        }
        report.unreadableRecords += Int(parts[3].int ?? 0)
        return status
    }

    /// The finish script. Returns its status (`ok`, `more`, `lost`, `alive`).
    @discardableResult
    private func finish(_ node: String, keys: [any RedisArgument], claim: String, sweeper: String, report: NodeSweep) async throws -> String {
        let event = ClusterEvent.serverSwept(nodeID: node, usersRemoved: report.usersRemoved, by: sweeper,
                                             at: Int64(Date().timeIntervalSince1970))
        let reply = try await redis.run(ClusterScripts.sweepFinish, keys: keys,
                                        arguments: [claim, ClusterChannels.events, event.jsonBytes, report.usersRemoved > 0 ? "1" : "0"])
        guard let status = reply.array?.first?.string else { throw RedisError.protocolError("unexpected sweep finish reply \(reply)") }
        return status
    }

    /// A dead node read, not changed: HSCAN its records and look each user's participants entry up.
    private func dryRunNode(_ node: String, batchSize: Int) async throws -> NodeSweep {
        var report = NodeSweep(nodeID: node, outcome: .wouldSweep)
        var seen = Set<String>()  // HSCAN may return an entry twice
        for try await batch in redis.hscan(ClusterKeys.connections(node: node), count: batchSize) {
            var readable: [(field: String, user: UInt64, room: String)] = []
            for case .field(let name, let value) in batch where seen.insert(name).inserted {
                if let record = try? ConnectionRecord(json: value) {
                    readable.append((name, UInt64(name) ?? record.userID, record.roomID))
                } else {
                    report.unreadableRecords += 1
                }
            }
            let owners = try await redis.pipelineChecked(readable.map { RedisCommand("HGET", ClusterKeys.participants(room: $0.room), $0.field) })
            for (entry, owner) in zip(readable, owners) {
                if owner.string == node {
                    report.removed.append(SweptUser(userID: entry.user, roomID: entry.room))
                } else {
                    report.skipped.append(SkippedUser(userID: entry.user, roomID: entry.room, currentNode: owner.isNull ? nil : owner.string))
                }
            }
        }
        return report
    }
}
