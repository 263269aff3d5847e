import Logging
import NIOCore

/// Closes a connection whose client is too slow (DESIGN.md §1): a request's headers must
/// arrive within `headerTimeout` of its first byte, and a body must keep `minBodyBytesPerSecond`
/// over each such window. Sits first in the pipeline, seeing raw bytes; `RequestGuard`, behind
/// the HTTP codec, tells it where requests begin and end. Idle connections are the idle
/// timeout's business, not this.
final class SlowClientGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case betweenRequests
        case readingHead
        case readingBody
    }

    private let limits: ConnectionLimits
    private let logger: Logger
    private var phase = Phase.betweenRequests
    private var bodyBytesThisWindow = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .betweenRequests {
            phase = .readingHead
            schedule { client in client.phase == .readingHead ? "its headers did not arrive in time" : nil }
        }
        context.fireChannelRead(data)
    }

    /// A request's head has been parsed: its body, if any, must now keep the minimum rate.
    func headReceived() {
        phase = .readingBody
        bodyBytesThisWindow = 0
        scheduleBodyWindow()
    }

    func bodyReceived(bytes: Int) {
        bodyBytesThisWindow += bytes
    }

    /// The request is fully read; until the next one's first byte nothing is timed here.
    func requestEnded() {
        phase = .betweenRequests
        timer?.cancel()
        timer = nil
    }

    private func scheduleBodyWindow() {
        let windowSeconds = Double(limits.headerTimeout.components.seconds) + Double(limits.headerTimeout.components.attoseconds) / 1e18
        let minimum = Int(Double(limits.minBodyBytesPerSecond) * windowSeconds)
        schedule { client in
            guard client.phase == .readingBody else { return nil }
            if client.bodyBytesThisWindow < minimum { return "its body came slower than \(client.limits.minBodyBytesPerSecond) bytes a second" }
            client.bodyBytesThisWindow = 0
            client.scheduleBodyWindow()
            return nil
        }
    }

    /// After `headerTimeout`, closes the connection when `check` names a reason.
    private func schedule(_ check: @escaping (SlowClientGuard) -> String?) {
        timer?.cancel()
        guard let context else { return }
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(in: .init(limits.headerTimeout)) { [self] in
            timer = nil
            guard let context = self.context, let reason = check(self) else { return }
            logger.debug("closing a slow client's connection", metadata: ["reason": "\(reason)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
        }
    }
}
