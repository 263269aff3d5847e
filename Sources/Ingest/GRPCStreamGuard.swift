import Logging
import NIOCore
import NIOHTTP2

/// First in each gRPC stream's pipeline, in front of the transport's deframer: reads every
/// message's 5-byte prefix and decides before the message is read — no ingest token, over the
/// body limit, or not fitting the in-flight budget — dropping the bytes of a refused message
/// and passing a `GuardSignal` instead, so the RPC answers UNAUTHENTICATED, RESOURCE_EXHAUSTED
/// or UNAVAILABLE rather than the transport resetting the stream. Gzip messages pass with their
/// compressed flag cleared behind a `gzip` signal, for the handler's bounded gunzip. A message
/// whose bytes come slower than `minBodyBytesPerSecond` over a `headerTimeout` window closes its
/// stream (and gives its budget back): a client trickling a message would otherwise hold its
/// reservation of the in-flight budget for as long as it liked, on a connection that never
/// looks idle.
final class GRPCStreamGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private let handler: ExportHandler
    private let limits: ConnectionLimits
    private let logger: Logger
    /// Checks the current message's pace every `headerTimeout`; nil between messages.
    private var timer: Scheduled<Void>?
    private var bytesThisWindow = 0
    private var refusal: GuardSignal?
    private var prefix: [UInt8] = []
    /// Payload bytes left of the current message; nil while a prefix is awaited.
    private var remaining: Int?
    private var passing = false
    private var reserved = 0

    init(handler: ExportHandler, limits: ConnectionLimits, logger: Logger) {
        self.handler = handler
        self.limits = limits
        self.logger = logger
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
        releaseReservation()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        releaseReservation()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        switch payload {
        case .headers(let headers):
            do {
                try handler.authorize(headers.headers.first(name: "authorization"))
            } catch {
                refusal = .unauthenticated
            }
            context.fireChannelRead(data)
        case .data(let frame):
            guard case .byteBuffer(var input) = frame.data else {
                context.fireChannelRead(data)
                return
            }
            var output = context.channel.allocator.buffer(capacity: input.readableBytes + 64)
            while input.readableBytes > 0 {
                if let left = remaining {
                    let take = min(left, input.readableBytes)
                    if var slice = input.readSlice(length: take), passing { output.writeBuffer(&slice) }
                    bytesThisWindow += take
                    remaining = left - take == 0 ? nil : left - take
                    if remaining == nil { stopTimer() }
                } else {
                    let want = 5 - prefix.count
                    let bytes = input.readBytes(length: min(want, input.readableBytes)) ?? []
                    prefix += bytes
                    if prefix.count == 5 {
                        startMessage(into: &output)
                        if remaining != nil { startTimer(context) }
                    }
                }
            }
            if output.readableBytes > 0 || frame.endStream {
                var forwarded = frame
                forwarded.data = .byteBuffer(output)
                context.fireChannelRead(wrapInboundOut(.data(forwarded)))
            }
        default:
            context.fireChannelRead(data)
        }
    }

    /// A prefix is complete: pass the message on, or a signal in its place.
    private func startMessage(into output: inout ByteBuffer) {
        let compressed = prefix[0] == 1
        let length = Int(prefix[1]) << 24 | Int(prefix[2]) << 16 | Int(prefix[3]) << 8 | Int(prefix[4])
        prefix = []
        remaining = length == 0 ? nil : length
        var signal: GuardSignal?
        if let refusal {
            signal = refusal
        } else if length > handler.limits.maxBodyBytes {
            signal = .tooLarge
        } else if !handler.budget.reserve(length) {
            _ = handler.overBudget()
            signal = .overloaded
        } else {
            reserved += length
        }
        if let signal {
            passing = false
            writeMessage(signal.bytes, length: signal.bytes.count, into: &output)
        } else if compressed {
            passing = true
            let marker = GuardSignal.gzip.bytes
            writeMessage(marker, length: marker.count + length, into: &output)
        } else {
            passing = true
            writeMessage([], length: length, into: &output)
        }
    }

    /// An uncompressed gRPC prefix for `length` bytes, then `head` (the rest follows as read).
    private func writeMessage(_ head: [UInt8], length: Int, into output: inout ByteBuffer) {
        output.writeInteger(UInt8(0))
        output.writeInteger(UInt32(length))
        output.writeBytes(head)
    }

    /// The message's bytes must keep `minBodyBytesPerSecond` over each `headerTimeout` window.
    private func startTimer(_ context: ChannelHandlerContext) {
        stopTimer()
        bytesThisWindow = 0
        let window = TimeAmount(limits.headerTimeout)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in
            timer = nil
            let minimum = Int(Double(limits.minBodyBytesPerSecond) * Double(window.nanoseconds) / 1e9)
            guard bytesThisWindow >= minimum else {
                logger.debug("closing a gRPC stream whose message came too slowly", metadata: [
                    "bytes_in_window": "\(bytesThisWindow)", "minimum": "\(minimum)",
                    "peer": "\(context.channel.parent?.remoteAddress.map { "\($0)" } ?? "?")",
                ])
                releaseReservation()
                context.close(promise: nil)
                return
            }
            startTimer(context)
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    private func releaseReservation() {
        handler.budget.release(reserved)
        reserved = 0
    }
}
