import NIOCore

/// Reassembles WebSocket data frames into messages, enforcing the message size limit on the whole message.
///
/// A pure value fed frame by frame, so the size rule (PROTOCOL.md §1: at most 64 KiB counted after reassembly) is
/// tested without sockets. A single-frame message is passed on without copying; binary messages are only counted,
/// never kept, since the node answers them with `bad_message` whatever they hold.
struct MessageAssembler {
    enum Opcode {
        case text, binary, continuation
    }

    enum Output: Equatable {
        /// The frame was part of a message still in progress.
        case incomplete
        case text(ByteBuffer)
        case binary
        /// The message (text or binary) exceeds the limit: answer `too_large` and close with 1009.
        case tooLarge
        /// Frames out of sequence (a continuation with nothing to continue, or a new message inside one): close
        /// with 1002.
        case protocolError
    }

    let maxBytes: Int
    private var inProgress: Opcode?
    /// Only while a fragmented text message is in progress: idle connections hold no buffer.
    private var buffer: ByteBuffer?
    private var size = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    mutating func push(_ opcode: Opcode, fin: Bool, data: ByteBuffer) -> Output {
        switch opcode {
        case .text, .binary:
            guard inProgress == nil else { return .protocolError }
            guard data.readableBytes <= maxBytes else { return .tooLarge }
            if fin { return opcode == .text ? .text(data) : .binary }
            inProgress = opcode
            size = data.readableBytes
            if opcode == .text {
                var data = data
                var assembled = ByteBuffer()
                assembled.reserveCapacity(data.readableBytes)
                assembled.writeBuffer(&data)
                buffer = assembled
            }
            return .incomplete
        case .continuation:
            guard let kind = inProgress else { return .protocolError }
            size += data.readableBytes
            guard size <= maxBytes else {
                reset()
                return .tooLarge
            }
            if kind == .text {
                var data = data
                buffer?.writeBuffer(&data)
            }
            guard fin else { return .incomplete }
            let message = buffer ?? ByteBuffer()
            reset()
            return kind == .text ? .text(message) : .binary
        }
    }

    private mutating func reset() {
        inProgress = nil
        size = 0
        buffer = nil
    }
}
