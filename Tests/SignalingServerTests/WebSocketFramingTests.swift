import Foundation
import Testing
import TestSupport

/// RFC 6455 at the frame level, against an in-process node, with a client that writes frames byte by byte
/// (`RawFrameSocket`): fragmentation with control frames in between, ping/pong, the close handshake and its
/// malformed variants, the frame rules that fail a connection (1002), UTF-8 (1007) and the 64 KiB message limit
/// (1009). After every connection the node fails, a fresh connection must still join a room and close cleanly.
@Suite("RFC 6455 framing on raw sockets", .timeLimit(.minutes(2)))
struct WebSocketFramingTests {
    private static let protocolError: UInt16 = 1002
    private static let invalidPayload: UInt16 = 1007
    private static let messageTooBig: UInt16 = 1009

    // MARK: Fragmentation and control frames

    /// A `Join` in four fragments, with a ping, an unsolicited pong and another ping between them, is one message:
    /// one `RoomJoined`, no `bad_message`; each ping gets its pong with its payload, in order.
    @Test func fragmentedMessageWithControlFramesBetweenIsOneMessage() async throws {
        try await withNode { node in
            let socket = try await RawFrameSocket(port: node.port)
            defer { socket.close() }
            let join = Array(#"{"type":"Join","room_name":"fragments","username":"alice"}"#.utf8)
            let parts = [join[0..<10], join[10..<25], join[25..<40], join[40...]].map(Array.init)
            try socket.send(fin: false, opcode: WireFrame.text, payload: parts[0])
            try socket.send(opcode: WireFrame.ping, payload: Array("between-1-and-2".utf8))
            try socket.send(fin: false, opcode: WireFrame.continuation, payload: parts[1])
            try socket.send(opcode: WireFrame.pong, payload: Array("unsolicited".utf8))
            try socket.send(fin: false, opcode: WireFrame.continuation, payload: parts[2])
            try socket.send(opcode: WireFrame.ping, payload: [0x00, 0xFF, 0x80])
            try socket.send(fin: true, opcode: WireFrame.continuation, payload: parts[3])

            // Three frames come back: the two pongs, in order, and one `RoomJoined` (the pongs need not precede it).
            var replies: [WireFrame] = []
            for _ in 0..<3 {
                let frame = try #require(try await socket.nextFrameSkippingKeepAlive(), "ended after \(replies)")
                replies.append(frame)
            }
            let pongs = replies.filter { $0.opcode == WireFrame.pong }
            #expect(
                pongs == [
                    WireFrame(opcode: WireFrame.pong, payload: Array("between-1-and-2".utf8)),
                    WireFrame(opcode: WireFrame.pong, payload: [0x00, 0xFF, 0x80]),
                ], "got \(replies)")
            let messages = replies.filter { $0.opcode != WireFrame.pong }
            #expect(messages.map(Self.messageType) == ["RoomJoined"], "got \(replies)")
            #expect(messages.first?.fin == true && messages.first?.rsv == 0 && messages.first?.masked == false)

            // Nothing else was produced by the fragments (a stray `bad_message` would come before `RoomLeft`).
            try socket.sendText(#"{"type":"Leave","room_name":"fragments"}"#)
            let left = try await socket.nextFrameSkippingKeepAlive()
            #expect(left.map(Self.messageType) == "RoomLeft", "got \(String(describing: left))")
            try await Self.closeCleanly(socket)
        }
    }

    /// A character split across two fragments is valid UTF-8 once the message is whole.
    @Test func utf8SplitAcrossFragmentsIsAccepted() async throws {
        try await withNode { node in
            let socket = try await RawFrameSocket(port: node.port)
            defer { socket.close() }
            let join = Array(#"{"type":"Join","room_name":"split","username":"zoë"}"#.utf8)
            let cut = join.firstIndex(of: 0xC3)! + 1  // between the two bytes of "ë"
            try socket.send(fin: false, opcode: WireFrame.text, payload: Array(join[..<cut]))
            try socket.send(fin: true, opcode: WireFrame.continuation, payload: Array(join[cut...]))
            let joined = try await socket.nextFrameSkippingKeepAlive()
            #expect(joined.map(Self.messageType) == "RoomJoined", "got \(String(describing: joined))")
            try await Self.closeCleanly(socket)
        }
    }

    /// Pings of 0, 5 and 125 bytes (any byte values) each get a pong with the identical payload, in order.
    @Test func pingGetsPongWithIdenticalPayload() async throws {
        try await withNode { node in
            let socket = try await RawFrameSocket(port: node.port)
            defer { socket.close() }
            let payloads: [[UInt8]] = [[], Array("hello".utf8), (0..<125).map { UInt8(($0 * 37 + 200) & 0xFF) }]
            for payload in payloads {
                try socket.send(opcode: WireFrame.ping, payload: payload)
            }
            for payload in payloads {
                let pong = try await socket.nextFrameSkippingKeepAlive()
                #expect(pong == WireFrame(opcode: WireFrame.pong, payload: payload), "sent ping \(payload), got \(String(describing: pong))")
            }
            try await Self.closeCleanly(socket)
            try await Self.expectServes(node)
        }
    }

    // MARK: The close handshake

    /// A close with a valid code and a reason is answered with a close carrying the same code, then the node closes
    /// TCP (RFC 6455 §7.1.1: the server closes first).
    @Test func closeIsEchoedThenTCPCloses() async throws {
        try await withNode { node in
            for code: UInt16 in [1000, 1001, 1003, 1007, 1011, 3000, 4999] {
                let socket = try await RawFrameSocket(port: node.port)
                defer { socket.close() }
                try socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: code, reason: Array("bye, é".utf8)))
                let (frames, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
                let replies = frames.filter { $0.opcode != WireFrame.ping }
                #expect(replies.count == 1 && replies.first?.closeCode == code, "sent close \(code), got \(replies)")
                #expect(replies.first?.fin == true && replies.first?.masked == false)
                #expect(end == .closedByServer, "close \(code): connection ended as \(end)")
            }
            // An empty close is answered with 1000; so is one in the middle of a fragmented message.
            for midMessage in [false, true] {
                let socket = try await RawFrameSocket(port: node.port)
                defer { socket.close() }
                if midMessage {
                    try socket.send(fin: false, opcode: WireFrame.text, payload: Array(#"{"type":"Leave","#.utf8))
                }
                try socket.send(opcode: WireFrame.close)
                let (frames, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
                let replies = frames.filter { $0.opcode != WireFrame.ping }
                #expect(replies.count == 1 && replies.first?.closeCode == 1000, "sent an empty close (mid-message: \(midMessage)), got \(replies)")
                #expect(end == .closedByServer)
            }
            try await Self.expectServes(node)
        }
    }

    /// Codes an endpoint may not send (RFC 6455 §7.4.1: 1004–1006, 1015, below 1000, 1016–2999, 5000 and up) are a
    /// protocol error.
    @Test func closeWithInvalidCodeIsAProtocolError() async throws {
        try await withNode { node in
            for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
                try await Self.expectFailure(node, Self.protocolError, "close code \(code)") { socket in
                    try socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: code, reason: Array("x".utf8)))
                }
            }
        }
    }

    /// A close payload of one byte cannot hold a code.
    @Test func closeWithOneBytePayloadIsAProtocolError() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.protocolError, "1-byte close") { socket in
                try socket.send(opcode: WireFrame.close, payload: [0x03])
            }
        }
    }

    /// A close reason that is not UTF-8 is an invalid payload.
    @Test func closeWithInvalidUTF8ReasonIs1007() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.invalidPayload, "close reason not UTF-8") { socket in
                try socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: 1000, reason: [0x6F, 0x6B, 0xC0, 0x80]))
            }
        }
    }

    // MARK: Frames that fail the connection

    /// Invalid UTF-8 in a text message closes with 1007: a stray byte, an overlong form, a surrogate, a truncated
    /// sequence at the end, a code point past U+10FFFF, and the same spread over fragments.
    @Test func invalidUTF8TextIs1007() async throws {
        try await withNode { node in
            let prefix = Array(#"{"type":"Join","room_name":"utf8","username":"a"#.utf8)
            let suffix = Array(#""}"#.utf8)
            let bad: [(String, [UInt8])] = [
                ("0xFF", [0xFF]), ("overlong C0 AF", [0xC0, 0xAF]), ("surrogate ED A0 80", [0xED, 0xA0, 0x80]),
                ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]), ("lone continuation", [0x80]),
            ]
            for (name, bytes) in bad {
                try await Self.expectFailure(node, Self.invalidPayload, "text with \(name)") { socket in
                    try socket.send(opcode: WireFrame.text, payload: prefix + bytes + suffix)
                }
            }
            try await Self.expectFailure(node, Self.invalidPayload, "text ending in a truncated sequence") { socket in
                try socket.send(opcode: WireFrame.text, payload: prefix + suffix + [0xE2, 0x82])
            }
            try await Self.expectFailure(node, Self.invalidPayload, "fragmented text with 0xFF in the middle fragment") { socket in
                try socket.send(fin: false, opcode: WireFrame.text, payload: prefix)
                try socket.send(fin: false, opcode: WireFrame.continuation, payload: [0x62, 0xFF])
                try socket.send(fin: true, opcode: WireFrame.continuation, payload: suffix)
            }
        }
    }

    /// Clients must mask every frame (RFC 6455 §5.1): an unmasked text frame or ping fails the connection.
    @Test func unmaskedClientFrameIsAProtocolError() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.protocolError, "unmasked text") { socket in
                try socket.send(opcode: WireFrame.text, masked: false, payload: Array(#"{"type":"Join","room_name":"m","username":"u"}"#.utf8))
            }
            try await Self.expectFailure(node, Self.protocolError, "unmasked ping") { socket in
                try socket.send(opcode: WireFrame.ping, masked: false, payload: Array("p".utf8))
            }
        }
    }

    /// No extension is negotiated, so each reserved bit fails the connection, on a data frame and on a ping.
    @Test func reservedBitsAreAProtocolError() async throws {
        try await withNode { node in
            for (name, rsv) in [("RSV1", WireFrame.rsv1), ("RSV2", WireFrame.rsv2), ("RSV3", WireFrame.rsv3)] {
                try await Self.expectFailure(node, Self.protocolError, "\(name) on text") { socket in
                    try socket.send(rsv: rsv, opcode: WireFrame.text, payload: Array(#"{"type":"Join","room_name":"rsv","username":"u"}"#.utf8))
                }
                try await Self.expectFailure(node, Self.protocolError, "\(name) on ping") { socket in
                    try socket.send(rsv: rsv, opcode: WireFrame.ping, payload: Array("p".utf8))
                }
            }
        }
    }

    /// Reserved opcodes, data (0x3–0x7) and control (0xB–0xF), fail the connection.
    @Test func reservedOpcodesAreAProtocolError() async throws {
        try await withNode { node in
            for opcode: UInt8 in [0x3, 0x7, 0xB, 0xF] {
                try await Self.expectFailure(node, Self.protocolError, "opcode 0x\(String(opcode, radix: 16))") { socket in
                    try socket.send(opcode: opcode, payload: Array("reserved".utf8))
                }
            }
        }
    }

    /// Control frames carry at most 125 bytes (RFC 6455 §5.5).
    @Test func controlFrameOver125BytesIsAProtocolError() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.protocolError, "126-byte ping") { socket in
                try socket.send(opcode: WireFrame.ping, payload: [UInt8](repeating: 0x70, count: 126))
            }
            try await Self.expectFailure(node, Self.protocolError, "126-byte close") { socket in
                try socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: 1000, reason: [UInt8](repeating: 0x72, count: 124)))
            }
        }
    }

    /// Control frames must not be fragmented (RFC 6455 §5.5).
    @Test func fragmentedPingIsAProtocolError() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.protocolError, "ping with FIN=0") { socket in
                try socket.send(fin: false, opcode: WireFrame.ping, payload: Array("half".utf8))
                try socket.send(fin: true, opcode: WireFrame.continuation, payload: Array("-ping".utf8))
            }
        }
    }

    /// Frames out of sequence (RFC 6455 §5.4): a continuation with nothing to continue, a final continuation after
    /// a complete message, and a new text message inside a fragmented one.
    @Test func outOfSequenceFramesAreAProtocolError() async throws {
        try await withNode { node in
            try await Self.expectFailure(node, Self.protocolError, "continuation first") { socket in
                try socket.send(fin: true, opcode: WireFrame.continuation, payload: Array(#"{"type":"Leave","room_name":"c"}"#.utf8))
            }
            try await Self.expectFailure(node, Self.protocolError, "continuation after a complete message", expectingFirst: "Error") { socket in
                try socket.sendText(#"{"type":"Dance"}"#)
                try socket.send(fin: true, opcode: WireFrame.continuation, payload: Array("more".utf8))
            }
            try await Self.expectFailure(node, Self.protocolError, "text inside a fragmented text") { socket in
                try socket.send(fin: false, opcode: WireFrame.text, payload: Array(#"{"type":"Leave","#.utf8))
                try socket.send(fin: true, opcode: WireFrame.text, payload: Array(#"{"type":"Leave","room_name":"c"}"#.utf8))
            }
        }
    }

    // MARK: The 64 KiB message limit

    /// A message of exactly 65,536 bytes is accepted, in one frame (64-bit length) and in three fragments: an
    /// `Offer` padded to that size reaches its target with the sdp intact; a binary one gets `bad_message`, not a close.
    @Test func messageOfExactly64KiBIsRelayed() async throws {
        try await withNode { node in
            let sender = try await RawFrameSocket(port: node.port)
            defer { sender.close() }
            let target = try await RawFrameSocket(port: node.port)
            defer { target.close() }
            try sender.sendText(#"{"type":"Join","room_name":"big","username":"sender"}"#)
            #expect(try await sender.nextFrameSkippingKeepAlive().map(Self.messageType) == "RoomJoined")
            try target.sendText(#"{"type":"Join","room_name":"big","username":"target"}"#)
            let joined = try #require(try await target.nextFrameSkippingKeepAlive())
            #expect(Self.messageType(joined) == "RoomJoined", "got \(joined)")
            let targetID = try #require(Self.object(joined)?["user_id"] as? Int)

            for (round, fragmented) in [(1, false), (2, true)] {
                let head = #"{"type":"Offer","room_name":"big","sdp":""#
                let tail = #"","target_user_id":\#(targetID)}"#
                let padLength = 65_536 - head.utf8.count - tail.utf8.count
                let sdp = "v=\(round)" + String(repeating: "a", count: padLength - 3)
                let message = Array((head + sdp + tail).utf8)
                #expect(message.count == 65_536)
                if fragmented {
                    try sender.send(fin: false, opcode: WireFrame.text, payload: Array(message[..<30_000]))
                    try sender.send(fin: false, opcode: WireFrame.continuation, payload: Array(message[30_000..<60_000]))
                    try sender.send(fin: true, opcode: WireFrame.continuation, payload: Array(message[60_000...]))
                } else {
                    try sender.send(opcode: WireFrame.text, payload: message)
                }
                let offer = try await target.nextFrameSkippingKeepAlive(ignoringTypes: ["UserJoined"])
                let fields = offer.flatMap(Self.object)
                #expect(fields?["type"] as? String == "Offer", "round \(round): got \(String(describing: offer))")
                #expect(fields?["sdp"] as? String == sdp, "round \(round): the sdp arrived intact")
            }
            // A binary message of the same size is outside the protocol but within the limit: `bad_message`, still open.
            try sender.send(opcode: WireFrame.binary, payload: [UInt8](repeating: 0xB1, count: 65_536))
            let binary = try await sender.nextFrameSkippingKeepAlive(ignoringTypes: ["UserJoined"])
            #expect(binary.flatMap(Self.object)?["code"] as? String == "bad_message", "got \(String(describing: binary))")
            // The sender got no other error and is still open.
            try sender.sendText(#"{"type":"Leave","room_name":"big"}"#)
            #expect(try await sender.nextFrameSkippingKeepAlive(ignoringTypes: ["UserJoined"]).map(Self.messageType) == "RoomLeft")
            try await Self.closeCleanly(sender)
            try await Self.closeCleanly(target)
        }
    }

    /// One byte more — 65,537 bytes, in one frame or over fragments, text or binary — is `Error` `too_large`, then
    /// close 1009, then the node closes TCP (right after the client's close, or after the close handshake timeout
    /// when the client never sends one).
    @Test func messageOverTheLimitIsTooLargeThen1009() async throws {
        try await withNode { node in
            let head = #"{"type":"Leave","room_name":""#
            let tail = #""}"#
            let text = Array((head + String(repeating: "x", count: 65_537 - head.utf8.count - tail.utf8.count) + tail).utf8)
            #expect(text.count == 65_537)
            let cases: [(String, (RawFrameSocket) throws -> Void)] = [
                ("65,537-byte text frame", { try $0.send(opcode: WireFrame.text, payload: text) }),
                ("65,537-byte text in 2 fragments", {
                    try $0.send(fin: false, opcode: WireFrame.text, payload: Array(text[..<40_000]))
                    try $0.send(fin: true, opcode: WireFrame.continuation, payload: Array(text[40_000...]))
                }),
                ("65,537-byte text in 3 fragments, over the limit before the last", {
                    try $0.send(fin: false, opcode: WireFrame.text, payload: Array(text[..<30_000]))
                    try $0.send(fin: false, opcode: WireFrame.continuation, payload: Array(text[30_000...]))
                    try $0.send(fin: true, opcode: WireFrame.continuation, payload: Array("}".utf8))
                }),
                ("65,537-byte binary frame", { try $0.send(opcode: WireFrame.binary, payload: [UInt8](repeating: 7, count: 65_537)) }),
            ]
            for (name, send) in cases {
                let socket = try await RawFrameSocket(port: node.port)
                defer { socket.close() }
                try send(socket)
                let error = try await socket.nextFrameSkippingKeepAlive()
                let fields = error.flatMap(Self.object)
                #expect(fields?["type"] as? String == "Error" && fields?["code"] as? String == "too_large", "\(name): got \(String(describing: error))")
                let close = try await socket.nextFrameSkippingKeepAlive()
                #expect(close?.closeCode == Self.messageTooBig, "\(name): got \(String(describing: close))")
                // Complete the handshake as a client would, and the node closes TCP at once. The last case never
                // answers: the node closes TCP anyway once its close handshake timeout (2 s for test nodes) is over.
                if name != cases.last?.0 {
                    try? socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: Self.messageTooBig))
                }
                let (rest, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
                #expect(rest.allSatisfy { $0.opcode == WireFrame.ping }, "\(name): nothing after the close, got \(rest)")
                #expect(end == .closedByServer, "\(name): connection ended as \(end)")
            }
            try await Self.expectServes(node)
        }
    }

    /// A frame header announcing 10 MB is refused from the header alone: `too_large` and close 1009 arrive, and the
    /// node closes TCP, after the client has sent only 16 KiB of it.
    @Test func hugeFrameHeaderIsRefusedWithoutReadingTheFrame() async throws {
        try await withNode { node in
            let socket = try await RawFrameSocket(port: node.port)
            defer { socket.close() }
            let mask: [UInt8] = [1, 2, 3, 4]
            let header = RawFrameSocket.encode(opcode: WireFrame.text, masked: true, maskKey: mask, declaredLength: 10_000_000)
            #expect(header.count == 14)
            try socket.sendRaw(header + [UInt8](repeating: 0x61, count: 16_384))
            let (frames, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
            let replies = frames.filter { $0.opcode != WireFrame.ping }
            #expect(replies.count == 2, "got \(replies)")
            let fields = replies.first.flatMap(Self.object)
            #expect(fields?["type"] as? String == "Error" && fields?["code"] as? String == "too_large", "got \(replies)")
            #expect(replies.last?.closeCode == Self.messageTooBig, "got \(replies)")
            // The node closed after our 16 KiB; either a FIN, or a reset if our bytes were still unread.
            #expect(end == .closedByServer || end == .failed(ECONNRESET), "connection ended as \(end)")
            try await Self.expectServes(node)
        }
    }

    // MARK: Helpers

    /// Opens a connection, runs `send`, and expects exactly a close frame with `code` (after one text message of
    /// type `expectingFirst`, when given), then the node closing TCP; then the node must still serve a new client.
    private static func expectFailure(
        _ node: TestNode, _ code: UInt16, _ name: String, expectingFirst firstType: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation, _ send: (RawFrameSocket) throws -> Void
    ) async throws {
        let socket = try await RawFrameSocket(port: node.port)
        defer { socket.close() }
        try send(socket)
        let (frames, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
        var replies = frames.filter { $0.opcode != WireFrame.ping }
        if let firstType {
            let first = replies.isEmpty ? nil : replies.removeFirst()
            #expect(first.map(messageType) == firstType, "\(name): expected \(firstType) first, got \(frames)", sourceLocation: sourceLocation)
        }
        #expect(replies.count == 1 && replies.first?.closeCode == code, "\(name): expected close \(code), got \(frames)", sourceLocation: sourceLocation)
        #expect(replies.first?.fin == true && replies.first?.masked == false, sourceLocation: sourceLocation)
        #expect(end == .closedByServer, "\(name): connection ended as \(end)", sourceLocation: sourceLocation)
        try await expectServes(node, after: name, sourceLocation: sourceLocation)
    }

    /// A new connection joins a room and closes cleanly.
    private static func expectServes(_ node: TestNode, after name: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let socket = try await RawFrameSocket(port: node.port)
        defer { socket.close() }
        try socket.sendText(#"{"type":"Join","room_name":"after-\#(UUID().uuidString.prefix(8))","username":"next"}"#)
        let joined = try await socket.nextFrameSkippingKeepAlive()
        #expect(joined.map(messageType) == "RoomJoined", "after \(name): a new connection got \(String(describing: joined))", sourceLocation: sourceLocation)
        try await closeCleanly(socket, sourceLocation: sourceLocation)
    }

    /// Sends close 1000 and expects the echo, then the node closing TCP.
    private static func closeCleanly(_ socket: RawFrameSocket, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try socket.send(opcode: WireFrame.close, payload: RawFrameSocket.closePayload(code: 1000))
        let (frames, end) = try await socket.framesUntilEnd(timeout: .seconds(10))
        let closes = frames.filter { $0.opcode == WireFrame.close }
        #expect(closes.count == 1 && closes.first?.closeCode == 1000, "got \(frames)", sourceLocation: sourceLocation)
        #expect(end == .closedByServer, "connection ended as \(end)", sourceLocation: sourceLocation)
    }

    private static func object(_ frame: WireFrame) -> [String: Any]? {
        guard frame.opcode == WireFrame.text else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any]
    }

    /// The `type` of a JSON text frame, or a description of a frame that is not one.
    private static func messageType(_ frame: WireFrame) -> String {
        object(frame)?["type"] as? String ?? "<\(frame)>"
    }
}

extension RawFrameSocket {
    /// The next frame that is neither one of the node's keep-alive pings nor a JSON message of one of `ignoringTypes`;
    /// nil when the connection ended first.
    fileprivate func nextFrameSkippingKeepAlive(ignoringTypes: Set<String> = []) async throws -> WireFrame? {
        while let frame = try await nextFrameSkippingPings(timeout: .seconds(15)) {
            if frame.opcode == WireFrame.text,
                let type = ((try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any])?["type"] as? String,
                ignoringTypes.contains(type)
            {
                continue
            }
            return frame
        }
        return nil
    }
}
