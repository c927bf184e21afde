import ClusterState
import Foundation
import RedisClient

/// One message seen on `cluster:*`, decoded as far as the schema allows, for `sigctl tail`.
struct TrafficLine {
    static let kinds = ["UserJoined", "UserLeft", "WebRTCSignal", "UserReplaced", "ServerStarted", "ServerStopping", "ServerSwept"]

    var time: Date
    var channel: String
    var payload: [UInt8]
    var kind: String
    var room: String?
    var from: String?
    var to: String?
    /// Every user id and node id the message mentions, for filtering.
    var users: Set<UInt64> = []
    var nodes: Set<String> = []

    init(_ message: PubSubMessage, at time: Date) {
        self.time = time
        channel = message.channel
        payload = message.payload
        kind = "?"
        if let node = ClusterChannels.node(fromChannel: channel) { nodes.insert(node) }
        if let m = try? ClusterMessage(json: payload) {
            kind = m.typeName
            room = m.roomID
            if let source = m.sourceServer { nodes.insert(source) }
            if let target = m.targetServer { nodes.insert(target) }
            switch m {
            case .userJoined(let j):
                from = m.sourceServer; to = "user \(j.userID) (\(j.username))"; users.insert(j.userID)
            case .userLeft(let l):
                from = m.sourceServer; to = "user \(l.userID)"; users.insert(l.userID)
            case .webRTCSignal(let s):
                kind = "WebRTCSignal/\(s.signalType.rawValue)"
                from = "\(s.fromUser)"; to = "\(s.toUser)"; users.formUnion([s.fromUser, s.toUser])
            case .userReplaced(let r):
                from = m.sourceServer; to = "user \(r.userID)"; users.insert(r.userID)
            }
        } else if let e = try? ClusterEvent(json: payload) {
            kind = e.typeName
            nodes.insert(e.nodeID)
            from = e.nodeID
            if case .serverSwept(_, let removed, let by, _) = e {
                from = by
                to = "\(e.nodeID) (\(removed) users)"
                nodes.insert(by)
            }
        }
    }

    /// The base kind (`WebRTCSignal/offer` → `WebRTCSignal`).
    var baseKind: String { String(kind.split(separator: "/").first ?? "") }

    func text(printer: Printer) -> String {
        let stamp = Self.iso(time)
        let clock = stamp.split(separator: "T").last.map { String($0.dropLast()) } ?? stamp
        let color: Printer.Style
        switch baseKind {
        case "UserJoined": color = .green
        case "UserLeft": color = .yellow
        case "WebRTCSignal": color = .cyan
        case "UserReplaced": color = .magenta
        case "?": color = .red
        default: color = .blue
        }
        var parts = [printer.paint(clock, .dim), channel, printer.paint(kind, color)]
        if let room { parts.append("room=\(room)") }
        if from != nil || to != nil { parts.append("\(from ?? "-") → \(to ?? "-")") }
        parts.append("\(payload.count)B")
        return parts.joined(separator: "  ")
    }

    /// The raw payload's members plus `channel` and `time`, keys sorted; a payload that is not a JSON object
    /// is kept as text under `raw`.
    func json() -> String {
        var object = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? [:]
        if object.isEmpty { object["raw"] = String(decoding: payload, as: UTF8.self) }
        object["channel"] = channel
        object["time"] = Self.iso(time)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 3339 UTC with milliseconds; the text line shows its time of day (UTC).
    private static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// `sigctl tail`'s filters; all given ones must match.
struct TrafficFilter {
    var room: String?
    var user: UInt64?
    var node: String?
    var kinds: Set<String>

    func matches(_ line: TrafficLine) -> Bool {
        if let room, line.room != room { return false }
        if let user, !line.users.contains(user) { return false }
        if let node, !line.nodes.contains(node) { return false }
        if !kinds.isEmpty, !kinds.contains(line.baseKind.lowercased()) { return false }
        return true
    }
}
