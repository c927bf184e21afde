import ClusterState
import Foundation

/// Text renderings of node read models.
enum ServersRendering {
    static func list(_ servers: [ServerSummary], printer: Printer) -> String {
        guard !servers.isEmpty else { return "" }
        var table = TextTable(headers: ["NODE", "STATUS", "HEARTBEAT AGE", "TTL", "CONNECTIONS", "ROOMS"].map { printer.paint($0, .bold) })
        for s in servers {
            table.rows.append([s.nodeID, status(s, printer: printer), s.heartbeatAgeSeconds.map(age) ?? "-", s.heartbeatTTL.map { "\($0)s" } ?? "-",
                               "\(s.connectionCount)", s.rooms.joined(separator: ", ")])
        }
        return table.render()
    }

    static func listSummary(_ servers: [ServerSummary]) -> String {
        guard !servers.isEmpty else { return "no nodes" }
        let dead = servers.filter { $0.status == .dead }.count
        let alive = servers.filter(\.alive).count
        var text = "\(servers.count) node\(servers.count == 1 ? "" : "s"): \(alive) alive"
        if dead > 0 { text += ", \(dead) dead (sigctl sweep removes their users)" }
        return text
    }

    static func detail(_ detail: ServerDetail, printer: Printer) -> String {
        let s = detail.server
        var lines = [
            "node \(s.nodeID): \(status(s, printer: printer))",
            "heartbeat: \(s.heartbeat.map { "\($0) (\(age(s.heartbeatAgeSeconds ?? 0)) ago), expires in \(s.heartbeatTTL.map { "\($0)s" } ?? "?")" } ?? "none")",
            "connections: \(s.connectionCount) in \(s.rooms.count) room\(s.rooms.count == 1 ? "" : "s")",
        ]
        if let sweeper = s.sweepingBy { lines.append(printer.paint("being swept by \(sweeper)", .yellow)) }
        if !detail.connections.isEmpty {
            var table = TextTable(headers: ["USER", "USERNAME", "ROOM", "CONNECTED AT", "CONNECTION ID"].map { printer.paint($0, .bold) })
            for c in detail.connections {
                table.rows.append(["\(c.userID)", c.username, c.roomID, c.connectedAtText, c.connectionID])
            }
            lines.append(table.render())
        }
        for bad in detail.unreadableRecords {
            lines.append(printer.paint("unreadable record for field \(bad.field): \(bad.value.prefix(80))", .yellow))
        }
        return lines.joined(separator: "\n")
    }

    private static func status(_ s: ServerSummary, printer: Printer) -> String {
        switch s.status {
        case .alive: return printer.paint("alive", .green)
        case .dead: return printer.paint("dead", .red)
        case .gone: return printer.paint("gone", .dim)
        }
    }

    /// A heartbeat's age (`heartbeat_age_s`), short: seconds, or minutes from two minutes on.
    private static func age(_ seconds: Int64) -> String {
        seconds < 120 ? "\(seconds)s" : "\(seconds / 60)m"
    }
}
