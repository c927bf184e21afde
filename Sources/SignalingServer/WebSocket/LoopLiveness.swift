import NIOCore
import Synchronization

/// Pings the WebSocket connections of one event loop: one repeated task per loop, not a timer per connection.
///
/// Each tick closes (1001) the connections that stayed silent since the previous ping and sends the others one
/// shared, pre-built ping frame. Touched only on its event loop. The task stops when the loop has no connections
/// left and starts again with the next one, so a node that has shut down leaves nothing scheduled.
final class LoopLiveness {
    private let eventLoop: any EventLoop
    private let interval: TimeAmount
    private let ping = ServerFrame.make(.ping, payload: [UInt8]())
    private var handlers: [ObjectIdentifier: WebSocketConnectionHandler] = [:]
    private var task: RepeatedTask?

    init(eventLoop: any EventLoop, interval: TimeAmount) {
        self.eventLoop = eventLoop
        self.interval = interval
    }

    func add(_ handler: WebSocketConnectionHandler) {
        handlers[ObjectIdentifier(handler)] = handler
        guard task == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        task = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.tick()
        }
    }

    func remove(_ handler: WebSocketConnectionHandler) {
        handlers[ObjectIdentifier(handler)] = nil
    }

    private func tick() {
        guard !handlers.isEmpty else {
            task?.cancel()
            task = nil
            return
        }
        for handler in handlers.values { handler.livenessTick(ping: ping) }
    }
}

/// One `LoopLiveness` per event loop of a node, found by the loop a new connection runs on.
final class LivenessRegistry: Sendable {
    private let interval: TimeAmount?
    private let loops = Mutex<[ObjectIdentifier: NIOLoopBound<LoopLiveness>]>([:])

    /// - Parameter interval: the ping interval; nil turns pings off.
    init(interval: Duration?) {
        self.interval = interval.map { TimeAmount($0) }
    }

    /// The liveness of `eventLoop`; call on that loop. Nil when pings are off.
    func liveness(on eventLoop: any EventLoop) -> LoopLiveness? {
        guard let interval else { return nil }
        let bound = loops.withLock { loops in
            if let existing = loops[ObjectIdentifier(eventLoop)] { return existing }
            let made = NIOLoopBound(LoopLiveness(eventLoop: eventLoop, interval: interval), eventLoop: eventLoop)
            loops[ObjectIdentifier(eventLoop)] = made
            return made
        }
        return bound.value
    }
}
