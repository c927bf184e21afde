/// A user's id on the wire and in the cluster.
///
/// Unsigned because an id is never negative; kept within `Limits.userIDRange` so that a browser's JavaScript number
/// holds it exactly.
public typealias UserID = UInt64

/// The numeric limits that PROTOCOL.md §1 fixes, in one place so the server, the simulator and the tests agree.
public enum Limits {
    /// The largest accepted client message, in bytes of UTF-8, counted after WebSocket reassembly.
    public static let maxMessageBytes = 65_536

    /// 2^53 − 1: the largest integer a JavaScript number represents exactly.
    public static let maxUserID: UserID = 9_007_199_254_740_991

    /// Every id a node may hand out or accept.
    public static let userIDRange: ClosedRange<UserID> = 1...maxUserID

    /// The longest room name, node id or username (characters for the first two, code points for the last).
    public static let maxNameLength = 64

    /// How deeply arrays and objects may nest. No message needs more than three levels; the cap keeps a hostile
    /// `[[[[…` from exhausting the stack of a recursive parser.
    public static let maxNestingDepth = 64

    /// `sdp_mline_index` is an `unsigned short` in WebRTC (`RTCIceCandidateInit.sdpMLineIndex`).
    public static let sdpMLineIndexRange: ClosedRange<Int> = 0...65_535
}
