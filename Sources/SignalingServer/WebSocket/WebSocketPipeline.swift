import NIOCore
import SignalingProtocol

/// What an upgraded connection's pipeline gets: channel options chosen for idle connections, the raw frame writer,
/// and the connection's handler; then admission (PROTOCOL.md §1: at `MAX_CONNECTIONS` the upgrade succeeds and the
/// first frame is `server_busy`, then close 1013).
enum WebSocketPipeline {
    /// Runs on the channel's event loop, right after the upgrader added NIO's frame decoder.
    static func install(on channel: any Channel, node: SignalingNode, liveness: LivenessRegistry) throws {
        let configuration = node.configuration
        let options = channel.syncOptions
        // The channel's write buffer is the outbound bound: past it the channel turns unwritable and the handler
        // cuts the client off. Low mark at half, so writability does not flap.
        try options?.setOption(
            ChannelOptions.writeBufferWaterMark,
            value: .init(low: configuration.outboundQueueBytes / 2, high: configuration.outboundQueueBytes))
        // Signaling messages are small and rare per connection: start reads small and let busy connections grow.
        try options?.setOption(
            ChannelOptions.recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65_536))

        let sink = ChannelSink(channel: channel)
        let connection = Connection(
            queueLimit: configuration.outboundQueueLimit, queueByteLimit: configuration.outboundQueueBytes,
            logger: node.logger, metrics: node.metrics, sink: sink)
        let writer = RawFrameWriter()
        let handler = WebSocketConnectionHandler(
            connection: connection, session: Session(connection: connection, node: node), node: node, writer: writer,
            liveness: liveness.liveness(on: channel.eventLoop))
        sink.handler = handler
        try channel.pipeline.syncOperations.addHandler(writer, position: .first)
        try channel.pipeline.syncOperations.addHandler(handler)

        switch node.hub.admit(connection) {
        case .admitted:
            connection.logger.debug("connection opened")
        case .busy:
            node.metrics.connectionsRejected.increment()
            connection.send(.error(.serverBusy("node is at its connection limit")))
            connection.close(code: CloseCode.tryAgainLater, reason: "server busy")
            connection.logger.notice("connection refused: node is at its connection limit")
        case .draining:
            connection.close(code: CloseCode.goingAway, reason: "server shutting down")
        }
    }
}
