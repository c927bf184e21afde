import ClusterState
import Foundation
import Testing

@Suite("Golden JSON of every cluster payload", .timeLimit(.minutes(1)))
struct PayloadTests {
    let uuid = "3f1c9a52-8e0b-4c8e-9f5e-2b7d6a1e4c10"

    // MARK: ConnectionRecord

    @Test func connectionRecordGolden() throws {
        let record = ConnectionRecord(userID: 1001, username: "alice", roomID: "room123", connectedAt: 1_704_103_200, connectionID: uuid)
        let golden = #"{"user_id":1001,"username":"alice","room_id":"room123","connected_at":"2024-01-01T10:00:00Z","connection_id":"3f1c9a52-8e0b-4c8e-9f5e-2b7d6a1e4c10"}"#
        #expect(record.jsonText == golden)
        #expect(try ConnectionRecord(json: golden) == record)
    }

    @Test func connectionRecordThroughJSONEncoderHasTheSameMembers() throws {
        let record = ConnectionRecord(userID: 7, username: "a/b \"q\"", roomID: "r", connectedAt: 1_704_103_200, connectionID: uuid)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Foundation's encoder does not keep member order (the wire form is written by `jsonText`); the members and
        // values are the same.
        let viaEncoder = try JSONSerialization.jsonObject(with: try encoder.encode(record)) as? NSDictionary
        let viaWriter = try JSONSerialization.jsonObject(with: Data(record.jsonBytes)) as? NSDictionary
        #expect(viaEncoder != nil && viaEncoder == viaWriter)
    }

    @Test func connectionRecordReadsFractionalSecondsOffsetsAndUnknownFields() throws {
        let text = #"{"extra":{"nested":[1,2]},"connection_id":"X","connected_at":"2024-01-01T10:00:00.250Z","room_id":"r","username":"bob","user_id":5,"more":null}"#
        let record = try ConnectionRecord(json: text)
        #expect(record.userID == 5 && record.username == "bob" && record.roomID == "r" && record.connectionID == "X")
        #expect(abs(record.connectedAt - 1_704_103_200.25) < 0.0001)
        // Written back in whole seconds, in the documented order.
        #expect(record.jsonText == #"{"user_id":5,"username":"bob","room_id":"r","connected_at":"2024-01-01T10:00:00Z","connection_id":"X"}"#)
        let offset = try ConnectionRecord(json: #"{"user_id":5,"username":"b","room_id":"r","connected_at":"2024-01-01T12:30:00+02:30","connection_id":"X"}"#)
        #expect(offset.connectedAt == 1_704_103_200)
    }

    @Test func connectionRecordRejectsBrokenInput() {
        #expect(throws: ClusterPayloadError.self) { try ConnectionRecord(json: "not json") }
        #expect(throws: ClusterPayloadError.self) { try ConnectionRecord(json: #"{"user_id":1,"username":"a","room_id":"r","connection_id":"x"}"#) }
        #expect(throws: ClusterPayloadError.self) {
            try ConnectionRecord(json: #"{"user_id":1,"username":"a","room_id":"r","connected_at":"yesterday","connection_id":"x"}"#)
        }
        #expect(throws: ClusterPayloadError.self) {
            try ConnectionRecord(json: #"{"user_id":"1","username":"a","room_id":"r","connected_at":"2024-01-01T10:00:00Z","connection_id":"x"}"#)
        }
    }

    @Test func newConnectionIDsAreLowerCaseUUIDs() {
        let id = ConnectionRecord.newConnectionID()
        #expect(id.count == 36 && id == id.lowercased() && UUID(uuidString: id) != nil)
        #expect(id != ConnectionRecord.newConnectionID())
    }

    // MARK: ClusterMessage

    static let goldenMessages: [(String, ClusterMessage)] = [
        (#"{"UserJoined":{"room_id":"room123","user_id":1001,"username":"alice","target_server":null,"source_server":"signaling-1"}}"#,
         .userJoined(.init(roomID: "room123", userID: 1001, username: "alice", targetServer: nil, sourceServer: "signaling-1"))),
        (#"{"UserLeft":{"room_id":"room123","user_id":1001,"target_server":null,"source_server":"signaling-1"}}"#,
         .userLeft(.init(roomID: "room123", userID: 1001, targetServer: nil, sourceServer: "signaling-1"))),
        (#"{"WebRTCSignal":{"room_id":"room123","from_user":1001,"to_user":1002,"signal_type":"offer","signal_data":"v=0...","source_server":"signaling-1"}}"#,
         .webRTCSignal(.init(roomID: "room123", fromUser: 1001, toUser: 1002, signalType: .offer, signalData: "v=0...", sourceServer: "signaling-1"))),
        (#"{"UserReplaced":{"user_id":1001,"connection_id":"3f1c9a52-8e0b-4c8e-9f5e-2b7d6a1e4c10","target_server":null,"source_server":"signaling-2"}}"#,
         .userReplaced(.init(userID: 1001, connectionID: "3f1c9a52-8e0b-4c8e-9f5e-2b7d6a1e4c10", targetServer: nil, sourceServer: "signaling-2"))),
        (#"{"UserJoined":{"room_id":"r","user_id":1,"username":"a","target_server":"signaling-3"}}"#,
         .userJoined(.init(roomID: "r", userID: 1, username: "a", targetServer: "signaling-3", sourceServer: nil))),
        (#"{"UserLeft":{"room_id":"r","user_id":9007199254740991,"target_server":"n2","source_server":"n1"}}"#,
         .userLeft(.init(roomID: "r", userID: 9_007_199_254_740_991, targetServer: "n2", sourceServer: "n1"))),
        (#"{"WebRTCSignal":{"room_id":"r","from_user":1,"to_user":2,"signal_type":"answer","signal_data":"x"}}"#,
         .webRTCSignal(.init(roomID: "r", fromUser: 1, toUser: 2, signalType: .answer, signalData: "x", sourceServer: nil))),
    ]

    @Test(arguments: 0..<goldenMessages.count)
    func clusterMessageGolden(index: Int) throws {
        let (golden, message) = Self.goldenMessages[index]
        #expect(message.jsonText == golden)
        #expect(try ClusterMessage(json: golden) == message)
    }

    @Test func clusterMessageEscapesLikeJSONStringify() throws {
        let sdp = "v=0\r\no=alice \"quoted\" back\\slash /path\t\u{1}\u{1F}é🙂"
        let message = ClusterMessage.webRTCSignal(.init(roomID: "r", fromUser: 1, toUser: 2, signalType: .offer, signalData: sdp, sourceServer: "n"))
        #expect(message.jsonText == #"{"WebRTCSignal":{"room_id":"r","from_user":1,"to_user":2,"signal_type":"offer","signal_data":"v=0\r\no=alice \"quoted\" back\\slash /path\t\u0001\u001fé🙂","source_server":"n"}}"#)
        #expect(try ClusterMessage(json: message.jsonBytes) == message)
    }

    @Test func clusterMessageReadingIsTolerant() throws {
        // No source_server, no target_server, unknown members inside and outside.
        let joined = try ClusterMessage(json: #"{"UserJoined":{"username":"a","user_id":3,"room_id":"r","hint":[1]},"v":2}"#)
        #expect(joined == .userJoined(.init(roomID: "r", userID: 3, username: "a", targetServer: nil, sourceServer: nil)))
        // A target_server on a signal is accepted and ignored; an unknown signal type is kept.
        let signal = try ClusterMessage(json: #"{"WebRTCSignal":{"room_id":"r","from_user":1,"to_user":2,"signal_type":"renegotiate","signal_data":"","target_server":null}}"#)
        guard case .webRTCSignal(let s) = signal else { Issue.record("not a signal"); return }
        #expect(s.signalType.rawValue == "renegotiate")
    }

    @Test func integersMayBeWrittenInAnyExactForm() throws {
        for text in ["1001", "1001.0", "1.001e3", "10010E-1"] {
            let left = try ClusterMessage(json: #"{"UserLeft":{"room_id":"r","user_id":\#(text)}}"#)
            #expect(left == .userLeft(.init(roomID: "r", userID: 1001, sourceServer: nil)), "\(text)")
        }
        #expect(try ClusterEvent(json: #"{"ServerStarted":{"node_id":"n","at":1.7e9}}"#) == .serverStarted(nodeID: "n", at: 1_700_000_000))
    }

    @Test func readingErrorsNameTheMemberAndTheProblem() {
        func error(_ json: String) -> String {
            do {
                _ = try ClusterMessage(json: json)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(error(#"{"UserLeft":{"room_id":"r"}}"#) == "malformed cluster payload: missing field UserLeft.user_id")
        #expect(error(#"{"UserLeft":{"room_id":"r","user_id":1.5}}"#)
            == "malformed cluster payload: invalid value at UserLeft.user_id: 1.5 is not an integer in 0...18446744073709551615")
        #expect(error(#"{"UserLeft":{"room_id":"r","user_id":-1}}"#).contains("invalid value at UserLeft.user_id: -1"))
        #expect(error(#"{"UserLeft":{"room_id":7,"user_id":1}}"#) == "malformed cluster payload: wrong type at UserLeft.room_id")
        #expect(error(#"{"UserLeft":{"room_id":null,"user_id":1}}"#) == "malformed cluster payload: null at UserLeft.room_id")
        #expect(error(#"{"UserLeft":null}"#) == "malformed cluster payload: null at UserLeft")
        #expect(error(#"{"UserLeft":{"room_id":"r""#).hasPrefix("malformed cluster payload: not JSON: "))
        #expect(error("[1]") == "malformed cluster payload: not a JSON object")
    }

    @Test func clusterMessageReadingRejects() {
        #expect(throws: ClusterPayloadError.unknownType("Typing")) { try ClusterMessage(json: #"{"Typing":{"room_id":"r"}}"#) }
        #expect(throws: ClusterPayloadError.self) { try ClusterMessage(json: "[1]") }
        #expect(throws: ClusterPayloadError.self) { try ClusterMessage(json: #"{"UserLeft":{"room_id":"r"}}"#) }
        #expect(throws: ClusterPayloadError.self) { try ClusterMessage(json: #"{"UserLeft":{"room_id":"r","user_id":-1}}"#) }
        #expect(throws: ClusterPayloadError.self) { try ClusterMessage(json: "") }
    }

    @Test func whichNodeActsOnAMessage() {
        let broadcast = ClusterMessage.userLeft(.init(roomID: "r", userID: 1, targetServer: nil, sourceServer: "n1"))
        #expect(broadcast.concerns(node: "n2"))
        #expect(!broadcast.concerns(node: "n1"))
        let targeted = ClusterMessage.userJoined(.init(roomID: "r", userID: 1, username: "a", targetServer: "n3", sourceServer: "n1"))
        #expect(targeted.concerns(node: "n3"))
        #expect(!targeted.concerns(node: "n2"))
        let anonymous = ClusterMessage.userReplaced(.init(userID: 1, connectionID: "c", sourceServer: nil))
        #expect(anonymous.concerns(node: "n1"))
    }

    // MARK: ClusterEvent

    static let goldenEvents: [(String, ClusterEvent)] = [
        (#"{"ServerStarted":{"node_id":"signaling-1","at":1704110400}}"#, .serverStarted(nodeID: "signaling-1", at: 1_704_110_400)),
        (#"{"ServerStopping":{"node_id":"signaling-1","at":1704110401}}"#, .serverStopping(nodeID: "signaling-1", at: 1_704_110_401)),
        (#"{"ServerSwept":{"node_id":"signaling-2","users_removed":12,"by":"signaling-1","at":1704110402}}"#,
         .serverSwept(nodeID: "signaling-2", usersRemoved: 12, by: "signaling-1", at: 1_704_110_402)),
    ]

    @Test(arguments: 0..<goldenEvents.count)
    func clusterEventGolden(index: Int) throws {
        let (golden, event) = Self.goldenEvents[index]
        #expect(event.jsonText == golden)
        #expect(try ClusterEvent(json: golden) == event)
    }

    @Test func clusterEventReadingIsTolerantAndStrict() throws {
        #expect(try ClusterEvent(json: #"{"ServerSwept":{"by":"sigctl","at":5,"users_removed":0,"node_id":"n","why":"dead"}}"#)
                == .serverSwept(nodeID: "n", usersRemoved: 0, by: "sigctl", at: 5))
        #expect(throws: ClusterPayloadError.unknownType("ServerPaused")) { try ClusterEvent(json: #"{"ServerPaused":{"node_id":"n","at":1}}"#) }
        #expect(throws: ClusterPayloadError.self) { try ClusterEvent(json: #"{"ServerStarted":{"node_id":"n"}}"#) }
    }

    // MARK: signal_data of ice_candidate

    @Test func iceSignalDataShapes() throws {
        let full = IceSignalData(candidate: "candidate:1 1 UDP 2122260223 10.0.0.1 54321 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "abcd")
        #expect(full.jsonText == #"{"candidate":"candidate:1 1 UDP 2122260223 10.0.0.1 54321 typ host","sdp_mid":"0","sdp_mline_index":0,"username_fragment":"abcd"}"#)
        #expect(try IceSignalData(jsonText: full.jsonText) == full)
        let bare = IceSignalData(candidate: "")
        #expect(bare.jsonText == #"{"candidate":"","sdp_mid":null,"sdp_mline_index":null}"#)
        #expect(try IceSignalData(jsonText: bare.jsonText) == bare)
        #expect(try IceSignalData(jsonText: #"{"candidate":"c","x":1}"#) == IceSignalData(candidate: "c"))
        #expect(throws: ClusterPayloadError.self) { try IceSignalData(jsonText: #"{"sdp_mid":"0"}"#) }
    }

    @Test func iceCandidateSignalCarriesTheCandidate() throws {
        let candidate = IceSignalData(candidate: "candidate:2", sdpMid: "1", sdpMLineIndex: 1)
        let signal = ClusterMessage.WebRTCSignal(roomID: "r", fromUser: 1, toUser: 2, iceCandidate: candidate, sourceServer: "n")
        #expect(signal.signalType == .iceCandidate)
        #expect(ClusterMessage.webRTCSignal(signal).jsonText
                == #"{"WebRTCSignal":{"room_id":"r","from_user":1,"to_user":2,"signal_type":"ice_candidate","signal_data":"{\"candidate\":\"candidate:2\",\"sdp_mid\":\"1\",\"sdp_mline_index\":1}","source_server":"n"}}"#)
        #expect(try signal.iceCandidate() == candidate)
        let offer = ClusterMessage.WebRTCSignal(roomID: "r", fromUser: 1, toUser: 2, signalType: .offer, signalData: "v=0", sourceServer: nil)
        #expect(try offer.iceCandidate() == nil)
    }

    // MARK: RFC 3339

    @Test func rfc3339Formatting() {
        #expect(RFC3339.format(unixSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(unixSeconds: 1_704_103_200) == "2024-01-01T10:00:00Z")
        #expect(RFC3339.format(unixSeconds: 1_709_251_199) == "2024-02-29T23:59:59Z")
        #expect(RFC3339.format(unixSeconds: 4_102_444_800) == "2100-01-01T00:00:00Z")
        #expect(RFC3339.format(unixSeconds: -1) == "1969-12-31T23:59:59Z")
    }

    @Test func rfc3339Parsing() {
        #expect(RFC3339.parse("2024-01-01T10:00:00Z") == 1_704_103_200)
        #expect(RFC3339.parse("2024-01-01t10:00:00z") == 1_704_103_200)
        #expect(RFC3339.parse("2024-01-01T10:00:00.5Z") == 1_704_103_200.5)
        #expect(RFC3339.parse("2024-01-01T05:00:00-05:00") == 1_704_103_200)
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parse("2016-12-31T23:59:60Z") == 1_483_228_799)
        for bad in ["2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T10:00:00", "2024-01-01 10:00:00Z",
                    "2024-01-01T10:00:00.Z", "2024-13-01T10:00:00Z", "2024-01-01T10:00:00+0100", "2024-01-01T10:00:00Zjunk", ""] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }
}
