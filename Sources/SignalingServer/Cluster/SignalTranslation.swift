import ClusterState
import SignalingProtocol

/// Converts between a relayed client message and its cluster form (`WebRTCSignal`, PROTOCOL.md §2).
enum SignalTranslation {
    /// The cluster form of a relayed `Offer`, `Answer` or `IceCandidate`; nil for anything else.
    static func clusterSignal(_ signal: RelaySignal, source: String) -> ClusterMessage.WebRTCSignal? {
        switch signal.message {
        case .offer(_, _, let sdp):
            return .init(roomID: signal.room, fromUser: signal.from, toUser: signal.to, signalType: .offer,
                         signalData: sdp, sourceServer: source)
        case .answer(_, _, let sdp):
            return .init(roomID: signal.room, fromUser: signal.from, toUser: signal.to, signalType: .answer,
                         signalData: sdp, sourceServer: source)
        case .iceCandidate(_, _, let c):
            let data = IceSignalData(candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex,
                                     usernameFragment: c.usernameFragment)
            return .init(roomID: signal.room, fromUser: signal.from, toUser: signal.to, iceCandidate: data, sourceServer: source)
        default:
            return nil
        }
    }

    /// What the target receives for a `WebRTCSignal` from another node; nil for an unknown signal type or
    /// unreadable candidate data (logged by the caller, never delivered half-formed).
    static func serverMessage(_ signal: ClusterMessage.WebRTCSignal) -> ServerMessage? {
        switch signal.signalType {
        case .offer: return .offer(room: signal.roomID, from: signal.fromUser, sdp: signal.signalData)
        case .answer: return .answer(room: signal.roomID, from: signal.fromUser, sdp: signal.signalData)
        case .iceCandidate:
            guard let data = try? signal.iceCandidate() else { return nil }
            return .iceCandidate(room: signal.roomID, from: signal.fromUser,
                                 candidate: IceCandidate(candidate: data.candidate, sdpMid: data.sdpMid,
                                                         sdpMLineIndex: data.sdpMLineIndex, usernameFragment: data.usernameFragment))
        default:
            return nil
        }
    }
}
