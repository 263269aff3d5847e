import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
import TraceModel
@testable import Ingest

/// A sink that takes everything at once (these tests stop before anything is stored).
struct AcceptingSink: SpanSink {
    func accept(_ batch: TraceBatch) async throws {}
}

@Suite("The gRPC stream guard decides on each message's prefix, before its bytes are read")
struct GRPCStreamGuardTests {
    static let token = "agents-secret"

    func makeHandler(maxBody: Int = 1000, budget: Int = 10_000, tokens: Bool = false) -> ExportHandler {
        ExportHandler(
            sink: AcceptingSink(),
            limits: IngestLimits(maxBodyBytes: maxBody, maxInflightBytes: budget),
            tokens: tokens ? [IngestToken(name: "agents", sha256: TokenDigest.sha256(Self.token))] : [],
            logger: Logger(label: "test"))
    }

    func makeChannel(_ handler: ExportHandler, limits: ConnectionLimits = .default) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(GRPCStreamGuard(handler: handler, limits: limits, logger: Logger(label: "test")))
        return channel
    }

    func headers(authorization: String? = nil) -> HTTP2Frame.FramePayload {
        var fields: HPACKHeaders = [":path": "/opentelemetry.proto.collector.trace.v1.TraceService/Export"]
        if let authorization { fields.add(name: "authorization", value: authorization) }
        return .headers(.init(headers: fields))
    }

    func frame(_ bytes: [UInt8], end: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes)), endStream: end))
    }

    func prefix(compressed: Bool = false, length: Int) -> [UInt8] {
        [compressed ? 1 : 0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    /// Every DATA byte the guard passed on, and whether the last frame ended the stream.
    func passed(_ channel: EmbeddedChannel) throws -> (bytes: [UInt8], ended: Bool) {
        var bytes: [UInt8] = []
        var ended = false
        while let payload = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            guard case .data(let data) = payload, case .byteBuffer(let buffer) = data.data else { continue }
            bytes += Array(buffer.readableBytesView)
            ended = data.endStream
        }
        return (bytes, ended)
    }

    @Test("a message split across frames (its prefix too) passes unchanged")
    func plainMessage() throws {
        let handler = makeHandler()
        let channel = try makeChannel(handler)
        let message = prefix(length: 300) + [UInt8](repeating: 7, count: 300)
        try channel.writeInbound(headers())
        try channel.writeInbound(frame(Array(message[0..<3])))
        try channel.writeInbound(frame(Array(message[3..<150])))
        try channel.writeInbound(frame(Array(message[150...]), end: true))
        let out = try passed(channel)
        #expect(out.bytes == message)
        #expect(out.ended)
        #expect(handler.budget.inUse == 300)
        _ = try channel.finish()
        #expect(handler.budget.inUse == 0, "the reservation is given back when the stream closes")
    }

    @Test("a message over the body limit: a too_large signal in its place, its bytes dropped")
    func oversize() throws {
        let handler = makeHandler(maxBody: 100)
        let channel = try makeChannel(handler)
        try channel.writeInbound(headers())
        try channel.writeInbound(frame(prefix(length: 5000) + [UInt8](repeating: 1, count: 2000)))
        try channel.writeInbound(frame([UInt8](repeating: 1, count: 3000), end: true))
        let out = try passed(channel)
        let signal = GuardSignal.tooLarge.bytes
        #expect(out.bytes == prefix(length: signal.count) + signal)
        #expect(out.ended)
        #expect(GuardSignal.read(Array(out.bytes.dropFirst(5)))?.signal == .tooLarge)
        #expect(handler.budget.inUse == 0)
    }

    @Test("a message that does not fit the in-flight budget is signalled overloaded and counted")
    func overBudget() throws {
        let handler = makeHandler(maxBody: 1000, budget: 500)
        #expect(handler.budget.reserve(400))
        let channel = try makeChannel(handler)
        try channel.writeInbound(headers())
        try channel.writeInbound(frame(prefix(length: 200) + [UInt8](repeating: 2, count: 200), end: true))
        let out = try passed(channel)
        #expect(GuardSignal.read(Array(out.bytes.dropFirst(5)))?.signal == .overloaded)
        #expect(handler.statistics.overBudget == 1)
        #expect(handler.budget.inUse == 400)
    }

    @Test("a gzip message passes uncompressed-flagged behind a gzip signal, for the bounded gunzip")
    func gzipMessage() throws {
        let handler = makeHandler()
        let channel = try makeChannel(handler)
        let compressed: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        try channel.writeInbound(headers())
        try channel.writeInbound(frame(prefix(compressed: true, length: compressed.count) + compressed, end: true))
        let out = try passed(channel)
        let signal = GuardSignal.gzip.bytes
        #expect(out.bytes == prefix(length: signal.count + compressed.count) + signal + compressed)
        let read = try #require(GuardSignal.read(Array(out.bytes.dropFirst(5))))
        #expect(read.signal == .gzip)
        #expect(Array(out.bytes.dropFirst(5 + read.payloadOffset)) == compressed)
    }

    @Test("with ingest tokens: no token or a wrong one is signalled unauthenticated; the right one passes",
          arguments: [(nil, false), ("Bearer wrong", false), ("Basic " + GRPCStreamGuardTests.token, false),
                      ("Bearer " + GRPCStreamGuardTests.token, true)] as [(String?, Bool)])
    func tokens(authorization: String?, passes: Bool) throws {
        let handler = makeHandler(tokens: true)
        let channel = try makeChannel(handler)
        try channel.writeInbound(headers(authorization: authorization))
        let message = prefix(length: 10) + [UInt8](repeating: 3, count: 10)
        try channel.writeInbound(frame(message, end: true))
        let out = try passed(channel)
        if passes {
            #expect(out.bytes == message)
        } else {
            #expect(GuardSignal.read(Array(out.bytes.dropFirst(5)))?.signal == .unauthenticated)
            #expect(handler.statistics.unauthenticated == 1)
        }
    }

    @Test("an ordinary protobuf message is never read as a signal")
    func noFalseSignal() {
        #expect(GuardSignal.read([0x0A, 0x02, 0x08, 0x01]) == nil)
        #expect(GuardSignal.read([]) == nil)
        #expect(GuardSignal.read(GuardSignal.overloaded.bytes)?.signal == .overloaded)
    }

    /// A message trickled slower than the minimum rate closes its stream and gives its share of
    /// the in-flight budget back; one that keeps the pace goes through.
    @Test("a message that comes too slowly closes its stream and gives its budget back")
    func slowMessage() throws {
        let limits = ConnectionLimits(headerTimeout: .seconds(10), minBodyBytesPerSecond: 10)   // 100 bytes a window
        let handler = makeHandler(maxBody: 1000, budget: 10_000)
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(GRPCStreamGuard(handler: handler, limits: limits, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4317)).wait()
        try channel.writeInbound(headers())
        try channel.writeInbound(frame(prefix(length: 900) + [UInt8](repeating: 1, count: 150)))
        #expect(handler.budget.inUse == 900)
        loop.advanceTime(by: .seconds(10))   // 150 bytes in the first window: the pace is kept
        #expect(channel.isActive)
        try channel.writeInbound(frame([UInt8](repeating: 1, count: 50)))
        loop.advanceTime(by: .seconds(10))   // 50 in the second: too slow
        #expect(!channel.isActive)
        #expect(handler.budget.inUse == 0)

        // Complete in time: nothing is timed after the message ends.
        let steady = try makeChannel(handler, limits: limits)
        try steady.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4317)).wait()
        try steady.writeInbound(headers())
        try steady.writeInbound(frame(prefix(length: 100) + [UInt8](repeating: 1, count: 100), end: true))
        (steady.eventLoop as? EmbeddedEventLoop)?.advanceTime(by: .seconds(60))
        #expect(steady.isActive)
        #expect(try passed(steady).bytes.count == 105)
    }
}
