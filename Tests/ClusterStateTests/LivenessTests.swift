import ClusterState
import Testing

@Suite("The dead-node rule and the sweep plan, without Redis", .timeLimit(.minutes(1)))
struct LivenessTests {
    @Test(arguments: [(true, false, true), (true, true, false), (false, true, false), (false, false, false)])
    func deadMeansConnectionsWithoutHeartbeat(connections: Bool, heartbeat: Bool, dead: Bool) {
        #expect(NodeLiveness.isDead(connectionsHashExists: connections, heartbeatExists: heartbeat) == dead)
        #expect((NodeLiveness(connectionsHashExists: connections, heartbeatExists: heartbeat) == .dead) == dead)
    }

    @Test func livenessStates() {
        #expect(NodeLiveness(connectionsHashExists: false, heartbeatExists: true) == .alive)
        #expect(NodeLiveness(connectionsHashExists: true, heartbeatExists: true) == .alive)
        #expect(NodeLiveness(connectionsHashExists: true, heartbeatExists: false) == .dead)
        #expect(NodeLiveness(connectionsHashExists: false, heartbeatExists: false) == .gone)
    }

    @Test func orphanReasons() {
        let sound = RoomParticipant(userID: 1, node: "n", record: nil, recordStatus: .present, nodeLiveness: .alive)
        #expect(sound.orphanReason == nil && !sound.isOrphan)
        #expect(RoomParticipant(userID: 1, node: "n", record: nil, recordStatus: .missing, nodeLiveness: .alive).orphanReason == .missingRecord)
        #expect(RoomParticipant(userID: 1, node: "n", record: nil, recordStatus: .otherRoom, nodeLiveness: .alive).orphanReason == .recordInOtherRoom)
        #expect(RoomParticipant(userID: 1, node: "n", record: nil, recordStatus: .present, nodeLiveness: .dead).orphanReason == .nodeDead)
        #expect(RoomParticipant(userID: 1, node: "n", record: nil, recordStatus: .missing, nodeLiveness: .gone).orphanReason == .nodeGone)
    }

    @Test func sweepPlanNamesTheCommands() {
        let plan = ClusterRegistry.sweepPlan(by: "sigctl")
        let text = plan.map(\.command).joined(separator: "\n")
        #expect(plan.first?.command.hasPrefix("SCAN <cursor> MATCH servers:*:connections") == true)
        #expect(text.contains("HSCAN servers:{node}:connections"))
        #expect(plan.filter { $0.command.hasPrefix("EVALSHA") }.count == 3)
        #expect(plan.allSatisfy { !$0.purpose.isEmpty })

        let one = ClusterRegistry.sweepPlan(only: "signaling-2", by: "signaling-1", batchSize: 200)
        #expect(!one.contains { $0.command.hasPrefix("SCAN") })
        #expect(one.contains { $0.command.contains("servers:signaling-2:sweeping") && $0.purpose.contains("NX PX 30000") })
        #expect(one.contains { $0.command == "HSCAN servers:signaling-2:connections <cursor> COUNT 200" })

        let dry = ClusterRegistry.sweepPlan(dryRun: true, only: "n", by: "sigctl")
        #expect(!dry.contains { $0.command.hasPrefix("EVALSHA") })
        #expect(dry.contains { $0.command.hasPrefix("HGET rooms:{room}:participants") })
    }

    /// `sweep --dry-run --explain`: for each node a dry run found dead, the commands with its keys, users and payloads.
    @Test func explainingADryRunFillsInTheDeadNodes() {
        let report = SweepReport(sweeper: "sigctl", dryRun: true, nodes: [
            NodeSweep(nodeID: "live", outcome: .alive),
            NodeSweep(nodeID: "dead-1", outcome: .wouldSweep,
                      removed: [SweptUser(userID: 1001, roomID: "room1"), SweptUser(userID: 1002, roomID: "room2")],
                      skipped: [SkippedUser(userID: 1003, roomID: "room1", currentNode: "live")], unreadableRecords: 1),
            NodeSweep(nodeID: "gone", outcome: .gone),
        ])
        let explanation = ClusterRegistry.explain(report, batchSize: 2, now: 1_704_110_400)
        #expect(explanation.dryRun && explanation.sweeper == "sigctl")
        #expect(explanation.nodes.map(\.nodeID) == ["dead-1"])
        let node = explanation.nodes[0]
        #expect(node.usersRemoved == 2)
        let commands = node.steps.map(\.command)
        #expect(commands.first?.hasPrefix("EVALSHA \(ClusterScripts.sweepClaim.sha1) 3 servers:dead-1:connections servers:dead-1:heartbeat servers:dead-1:sweeping") == true)
        #expect(commands.contains("HSCAN servers:dead-1:connections <cursor> COUNT 2"))
        #expect(commands.contains { $0.hasPrefix("EVALSHA \(ClusterScripts.sweepBatch.sha1)") && $0.contains("(2 batches of ≤2)") })
        for (user, room) in [(1001, "room1"), (1002, "room2")] {
            let i = commands.firstIndex(of: "HDEL servers:dead-1:connections \(user)")
            #expect(i != nil)
            guard let i else { continue }
            #expect(commands[i + 1] == "HDEL rooms:\(room):participants \(user)")
            #expect(commands[i + 2] == #"PUBLISH cluster:messages {"UserLeft":{"room_id":"\#(room)","user_id":\#(user),"target_server":null,"source_server":"dead-1"}}"#)
        }
        // The moved user loses its record only; its room entry stays.
        #expect(commands.contains("HDEL servers:dead-1:connections 1003"))
        #expect(!commands.contains("HDEL rooms:room1:participants 1003"))
        #expect(node.steps.contains { $0.command.hasPrefix("HDEL servers:dead-1:connections <field>") && $0.purpose.contains("1 unreadable") })
        #expect(commands.suffix(2) == ["DEL servers:dead-1:sweeping",
                                       #"PUBLISH cluster:events {"ServerSwept":{"node_id":"dead-1","users_removed":2,"by":"sigctl","at":1704110400}}"#])
        for placeholder in ["{node}", "{user}", "{room}"] {
            #expect(!commands.joined().contains(placeholder))
        }
        #expect(node.steps.allSatisfy { !$0.purpose.isEmpty })
        #expect(ClusterRegistry.explain(SweepReport(sweeper: "sigctl", dryRun: true, nodes: []), now: 0).nodes.isEmpty)
    }
}
