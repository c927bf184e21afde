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
}
