/// An ICE candidate as the signaling layer carries it, the fields of the browser's `RTCIceCandidateInit`.
///
/// The node never interprets these: it checks their JSON types and relays them. An empty `candidate` is the
/// end-of-candidates marker and is relayed like any other.
public struct IceCandidate: Sendable, Hashable {
    public var candidate: String
    /// `sdp_mid`: absent and `null` both become nil, which is relayed as `null`.
    public var sdpMid: String?
    /// `sdp_mline_index`: absent and `null` both become nil, which is relayed as `null`.
    public var sdpMLineIndex: Int?
    /// `username_fragment`: relayed only when the sender gave it, never as `null`.
    public var usernameFragment: String?

    public init(
        candidate: String, sdpMid: String? = nil, sdpMLineIndex: Int? = nil, usernameFragment: String? = nil
    ) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
    }
}

extension IceCandidate {
    /// Writes `"candidate":…,"sdp_mid":…,"sdp_mline_index":…[,"username_fragment":…]`, the member order shared by
    /// the client message, the server message and the cluster's `signal_data`.
    func writeMembers(to writer: inout JSONWriter) {
        writer.raw("\"candidate\":")
        writer.string(candidate)
        writer.raw(",\"sdp_mid\":")
        writer.nullableString(sdpMid)
        writer.raw(",\"sdp_mline_index\":")
        writer.nullableInteger(sdpMLineIndex)
        if let usernameFragment {
            writer.raw(",\"username_fragment\":")
            writer.string(usernameFragment)
        }
    }

    /// Reads the candidate fields from a message object with the contract's typing rules.
    init(members fields: FieldReader) throws(ProtocolError) {
        self.init(
            candidate: try fields.requiredString("candidate"),
            sdpMid: try fields.nullableString("sdp_mid"),
            sdpMLineIndex: try fields.nullableInteger("sdp_mline_index", in: Limits.sdpMLineIndexRange),
            usernameFragment: try fields.optionalString("username_fragment"))
    }
}
