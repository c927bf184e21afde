import NIOCore

/// Server-to-client WebSocket frames (RFC 6455 §5.2), built as complete byte buffers.
///
/// A server's frames are never masked, so the same bytes go to every recipient: a room-wide event or a relayed
/// message is framed once and the one buffer is written to each socket (a `ByteBuffer` is shared, not copied).
/// That is why the node writes these bytes below NIO's `WebSocketFrameEncoder` instead of handing it frames.
public enum ServerFrame {
    public enum Opcode: UInt8 {
        case text = 0x1
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The whole frame for `payload`: FIN set, no mask.
    public static func make(_ opcode: Opcode, payload: some Collection<UInt8>) -> ByteBuffer {
        let length = payload.count
        var buffer = ByteBuffer()
        buffer.reserveCapacity(headerLength(payloadLength: length) + length)
        writeHeader(opcode, payloadLength: length, into: &buffer)
        buffer.writeBytes(payload)
        return buffer
    }

    /// A close frame: the status code, then the reason (cut to fit a control frame's 125 bytes).
    public static func close(code: UInt16, reason: String) -> ByteBuffer {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        payload.append(contentsOf: reason.utf8.prefix(123))
        return make(.close, payload: payload)
    }

    /// The payload of a frame this type built (tests and metrics look at what was sent).
    public static func payload(of frame: ByteBuffer) -> ByteBuffer {
        guard let second = frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) else { return ByteBuffer() }
        let header: Int =
            switch second & 0x7F {
            case 126: 4
            case 127: 10
            default: 2
            }
        return frame.getSlice(at: frame.readerIndex + header, length: frame.readableBytes - header) ?? ByteBuffer()
    }

    static func headerLength(payloadLength: Int) -> Int {
        payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10
    }

    private static func writeHeader(_ opcode: Opcode, payloadLength length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode.rawValue)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }
}
