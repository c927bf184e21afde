import ClusterState
import Testing

@Suite("Keys and channels", .timeLimit(.minutes(1)))
struct KeysTests {
    @Test func keysAreTheDocumentedOnes() {
        #expect(ClusterKeys.participants(room: "room123") == "rooms:room123:participants")
        #expect(ClusterKeys.connections(node: "signaling-1") == "servers:signaling-1:connections")
        #expect(ClusterKeys.heartbeat(node: "signaling-1") == "servers:signaling-1:heartbeat")
        #expect(ClusterKeys.nextUserID == "users:next_id")
        #expect(ClusterKeys.sweepClaim(node: "signaling-1") == "servers:signaling-1:sweeping")
        #expect(ClusterChannels.messages == "cluster:messages")
        #expect(ClusterChannels.events == "cluster:events")
        #expect(ClusterChannels.node("signaling-2") == "cluster:node:signaling-2")
        #expect(ClusterChannels.allPattern == "cluster:*")
    }

    @Test func scanPatterns() {
        #expect(ClusterKeys.participantsPattern() == "rooms:*:participants")
        #expect(ClusterKeys.participantsPattern(roomGlob: "room1*") == "rooms:room1*:participants")
        #expect(ClusterKeys.connectionsPattern == "servers:*:connections")
        #expect(ClusterKeys.heartbeatPattern == "servers:*:heartbeat")
        #expect(ClusterKeys.escapeGlob("a*b?[c]\\d") == "a\\*b\\?\\[c\\]\\\\d")
    }

    @Test(arguments: ["room123", "a:b", "a:participants", ":", "x::y:participants:", "rooms:room1", "é", "\u{301}x", "a b", "*"])
    func roomIdsRoundTripThroughTheirKey(room: String) {
        #expect(ClusterKeys.room(fromParticipantsKey: ClusterKeys.participants(room: room)) == room)
    }

    @Test(arguments: ["signaling-1", "a:b", "node:connections", "n:heartbeat"])
    func nodeIdsRoundTripThroughTheirKeys(node: String) {
        #expect(ClusterKeys.node(fromConnectionsKey: ClusterKeys.connections(node: node)) == node)
        #expect(ClusterKeys.node(fromHeartbeatKey: ClusterKeys.heartbeat(node: node)) == node)
        #expect(ClusterChannels.node(fromChannel: ClusterChannels.node(node)) == node)
    }

    @Test func otherKeysAreNotParsed() {
        #expect(ClusterKeys.room(fromParticipantsKey: "rooms:participants") == nil)
        #expect(ClusterKeys.room(fromParticipantsKey: "rooms::participants") == nil)
        #expect(ClusterKeys.room(fromParticipantsKey: "rooms:x:participant") == nil)
        #expect(ClusterKeys.room(fromParticipantsKey: "room:x:participants") == nil)
        #expect(ClusterKeys.node(fromConnectionsKey: "servers:a:heartbeat") == nil)
        #expect(ClusterKeys.node(fromHeartbeatKey: "servers:a:connections") == nil)
        #expect(ClusterKeys.node(fromConnectionsKey: "users:next_id") == nil)
        #expect(ClusterChannels.node(fromChannel: "cluster:messages") == nil)
        #expect(ClusterChannels.node(fromChannel: "cluster:node:") == nil)
    }
}
