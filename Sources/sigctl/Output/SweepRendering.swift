import ClusterState

/// Text rendering of a sweep report.
enum SweepRendering {
    static func report(_ report: SweepReport, printer: Printer) -> String {
        let relevant = report.nodes.filter { $0.outcome != .gone }
        guard !relevant.isEmpty else { return "no dead nodes" }
        var lines: [String] = []
        for node in relevant {
            switch node.outcome {
            case .wouldSweep:
                lines.append("\(printer.paint("would sweep", .yellow)) \(node.nodeID): \(node.usersRemoved) user\(node.usersRemoved == 1 ? "" : "s") "
                             + "to remove, \(node.skipped.count) moved or already gone, \(node.unreadableRecords) unreadable record(s)")
            case .swept:
                lines.append("\(printer.paint("swept", .green)) \(node.nodeID): removed \(node.usersRemoved) user\(node.usersRemoved == 1 ? "" : "s"), "
                             + "\(node.skipped.count) moved or already gone, \(node.recordsRemoved) record(s) deleted")
            case .alive:
                lines.append("\(node.nodeID): alive, not touched")
            case .claimedByOther:
                lines.append("\(node.nodeID): being swept by \(node.claimedBy ?? "another sweeper"), not touched")
            case .lostClaim:
                lines.append(printer.paint("\(node.nodeID): claim lost to another sweeper after removing \(node.usersRemoved)", .yellow))
            case .revived:
                lines.append(printer.paint("\(node.nodeID): heartbeat came back mid-sweep; stopped after removing \(node.usersRemoved)", .yellow))
            case .incomplete:
                lines.append(printer.paint("\(node.nodeID): entries kept appearing; stopped after removing \(node.usersRemoved)", .yellow))
            case .gone:
                break
            }
            for user in node.removed.prefix(20) {
                lines.append("  user \(user.userID) in \(user.roomID)")
            }
            if node.removed.count > 20 { lines.append("  … and \(node.removed.count - 20) more") }
        }
        return lines.joined(separator: "\n")
    }

    /// `sweep --dry-run --explain`: per dead node, the numbered commands a sweep would run, each with its purpose.
    static func explanation(_ explanation: SweepExplanation, printer: Printer) -> String {
        guard !explanation.nodes.isEmpty else { return "no dead nodes: a sweep would run nothing" }
        return explanation.nodes.map { node in
            var lines = ["\(printer.paint("would sweep", .yellow)) \(node.nodeID) (\(node.usersRemoved) user\(node.usersRemoved == 1 ? "" : "s")):"]
            for (i, step) in node.steps.enumerated() {
                lines.append("\(i + 1). \(step.command)")
                lines.append("   \(printer.paint(step.purpose, .dim))")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}
