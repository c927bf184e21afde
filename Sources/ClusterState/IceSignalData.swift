import SignalingProtocol

/// The `signal_data` of an `ice_candidate` `WebRTCSignal`: the JSON text of
/// `{"candidate":…,"sdp_mid":…,"sdp_mline_index":…}`, plus `"username_fragment"` only when the sender gave one.
/// `sdp_mid` and `sdp_mline_index` are written as `null` when absent.
public struct IceSignalData: Sendable, Hashable {
    public var candidate: String
    public var sdpMid: String?
    public var sdpMLineIndex: Int?
    public var usernameFragment: String?

    public init(candidate: String, sdpMid: String? = nil, sdpMLineIndex: Int? = nil, usernameFragment: String? = nil) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
    }

    /// The text that goes in `signal_data`.
    public var jsonText: String {
        var w = JSONWriter(capacity: candidate.utf8.count + 80)
        w.raw("{\"candidate\":")
        w.string(candidate)
        w.raw(",\"sdp_mid\":")
        w.nullableString(sdpMid)
        w.raw(",\"sdp_mline_index\":")
        w.nullableInteger(sdpMLineIndex)
        if let usernameFragment {
            w.raw(",\"username_fragment\":")
            w.string(usernameFragment)
        }
        w.raw("}")
        return w.text
    }

    /// Reads `signal_data`: `candidate` is required; `sdp_mid`, `sdp_mline_index` may be absent or null; unknown
    /// members are ignored.
    public init(jsonText: String) throws(ClusterPayloadError) {
        let c = try PayloadReader(json: Array(jsonText.utf8))
        candidate = try c.string("candidate")
        sdpMid = try c.optionalString("sdp_mid")
        sdpMLineIndex = try c.optionalInteger("sdp_mline_index")
        usernameFragment = try c.optionalString("username_fragment")
    }
}

extension ClusterMessage.WebRTCSignal {
    /// An `ice_candidate` signal whose `signal_data` is `candidate`'s JSON text.
    public init(roomID: String, fromUser: UInt64, toUser: UInt64, iceCandidate candidate: IceSignalData, sourceServer: String?) {
        self.init(roomID: roomID, fromUser: fromUser, toUser: toUser, signalType: .iceCandidate,
                  signalData: candidate.jsonText, sourceServer: sourceServer)
    }

    /// The candidate carried by an `ice_candidate` signal; nil for other signal types.
    public func iceCandidate() throws(ClusterPayloadError) -> IceSignalData? {
        guard signalType == .iceCandidate else { return nil }
        return try IceSignalData(jsonText: signalData)
    }
}
