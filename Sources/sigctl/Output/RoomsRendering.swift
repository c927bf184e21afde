import ClusterState

/// Text renderings of room read models.
enum RoomsRendering {
    static func list(_ rooms: [RoomSummary], printer: Printer) -> String {
        guard !rooms.isEmpty else { return "" }
        var table = TextTable(headers: ["ROOM", "PARTICIPANTS", "NODES"].map { printer.paint($0, .bold) })
        for room in rooms {
            table.rows.append([room.roomID, "\(room.participantCount)", room.nodes.joined(separator: ", ")])
        }
        return table.render()
    }

    static func listSummary(_ rooms: [RoomSummary]) -> String {
        let participants = rooms.reduce(0) { $0 + $1.participantCount }
        return rooms.isEmpty ? "no rooms" : "\(rooms.count) room\(rooms.count == 1 ? "" : "s"), \(participants) participant\(participants == 1 ? "" : "s")"
    }

    static func detail(_ room: RoomDetail, printer: Printer) -> String {
        let nodes = Set(room.participants.map(\.node)).count
        var header = "room \(room.roomID): \(room.participants.count) participant\(room.participants.count == 1 ? "" : "s") on \(nodes) node\(nodes == 1 ? "" : "s")"
        if room.orphanCount > 0 { header += ", " + printer.paint("\(room.orphanCount) orphaned", .red) }
        var table = TextTable(headers: ["USER", "USERNAME", "NODE", "NODE ALIVE", "CONNECTED AT", "NOTE"].map { printer.paint($0, .bold) })
        for p in room.participants {
            let alive = p.nodeAlive ? printer.paint("yes", .green) : printer.paint("no (\(p.nodeStatus.rawValue))", .red)
            let note = p.orphanReason.map { printer.paint("orphan: \($0.rawValue)", .red) } ?? ""
            table.rows.append(["\(p.userID)", p.username ?? "-", p.node, alive, p.connectedAt ?? "-", note])
        }
        var lines = [header, table.render()]
        if !room.unreadableEntries.isEmpty {
            lines.append(printer.paint("unreadable entries: " + room.unreadableEntries.joined(separator: ", "), .yellow))
        }
        return lines.joined(separator: "\n")
    }
}
