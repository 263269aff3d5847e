import Logging
import NIOCore

/// Closes a connection whose client is too slow (DESIGN.md §1): a request's headers must arrive
/// within `headerTimeout` of its first byte, and a body must keep `minBodyBytesPerSecond` over
/// each such window. Only time the server spent waiting for the client counts — while a read is
/// pending — so a fast client held back by our own backpressure (a busy writer, a body being
/// drained) is never taken for a slow one. Sits first in the pipeline, seeing raw bytes and read
/// requests; `RequestGuard`, behind the HTTP codec, tells it where requests begin and end. Idle
/// connections are the idle timeout's business, not this. Time is the event loop's (an
/// `EmbeddedEventLoop` drives it in tests).
final class SlowClientGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private enum Phase {
        case betweenRequests
        case readingHead
        case readingBody
    }

    private let limits: ConnectionLimits
    private let logger: Logger
    private let window: TimeAmount
    private var phase = Phase.betweenRequests
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Since when a read has been pending with no bytes yet; nil when none is.
    private var waitingSince: NIODeadline?
    /// Time spent waiting on the client, and bytes it sent, in the current window.
    private var waitedThisWindow = TimeAmount.zero
    private var bytesThisWindow = 0

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
        window = .init(limits.headerTimeout)
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

    func read(context: ChannelHandlerContext) {
        if waitingSince == nil { waitingSince = context.eventLoop.now }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let since = waitingSince {
            waitedThisWindow = waitedThisWindow + (context.eventLoop.now - since)
            waitingSince = nil
        }
        bytesThisWindow += unwrapInboundIn(data).readableBytes
        if phase == .betweenRequests {
            phase = .readingHead
            startWindow()
        }
        context.fireChannelRead(data)
    }

    /// A request's head has been parsed: its body, if any, must now keep the minimum rate.
    func headReceived() {
        phase = .readingBody
        startWindow()
    }

    /// The request is fully read; until the next one's first byte nothing is timed here.
    func requestEnded() {
        phase = .betweenRequests
        timer?.cancel()
        timer = nil
    }

    private func startWindow() {
        timer?.cancel()
        waitedThisWindow = .zero
        bytesThisWindow = 0
        guard let context else { return }
        if waitingSince != nil { waitingSince = context.eventLoop.now }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in
            timer = nil
            endWindow()
        }
    }

    /// At the end of a window in which the server mostly waited on the client: headers still
    /// incomplete, or a body below the minimum rate, closes the connection.
    private func endWindow() {
        guard let context, phase != .betweenRequests else { return }
        var waited = waitedThisWindow
        if let since = waitingSince { waited = waited + (context.eventLoop.now - since) }
        let mostlyWaiting = waited.nanoseconds * 2 >= window.nanoseconds
        let minimum = Int(Double(limits.minBodyBytesPerSecond) * Double(window.nanoseconds) / 1e9)
        let reason: String? = switch phase {
        case .readingHead where mostlyWaiting: "its headers did not arrive in time"
        case .readingBody where mostlyWaiting && bytesThisWindow < minimum: "its body came slower than \(limits.minBodyBytesPerSecond) bytes a second"
        default: nil
        }
        guard let reason else {
            startWindow()
            return
        }
        logger.debug("closing a slow client's connection", metadata: ["reason": "\(reason)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        context.close(promise: nil)
    }
}
