import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import Ingest

@Suite("Slow clients are closed on the event loop's clock; our own backpressure never counts")
struct SlowClientGuardTests {
    let limits = ConnectionLimits(headerTimeout: .seconds(10), minBodyBytesPerSecond: 100)

    func makeChannel() throws -> (EmbeddedChannel, SlowClientGuard) {
        let channel = EmbeddedChannel()
        let slowClientGuard = SlowClientGuard(limits: limits, logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(slowClientGuard)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, slowClientGuard)
    }

    func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
        _ = try channel.readInbound(as: ByteBuffer.self)
    }

    @Test("headers still incomplete after header_timeout while the server waited: closed")
    func slowHeaders() throws {
        let (channel, _) = try makeChannel()
        try send(channel, "POST /v1/traces HTTP/1.1\r\n")
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("headers complete in time: the body must then keep the minimum rate")
    func slowBody() throws {
        let (channel, slowClientGuard) = try makeChannel()
        try send(channel, "POST /v1/traces HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
        slowClientGuard.headReceived()
        for _ in 0..<10 {
            channel.read()
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try send(channel, String(repeating: "x", count: 150))
        }
        #expect(channel.isActive, "1,500 bytes in 10 s keeps 100 bytes a second")
        for _ in 0..<10 {
            channel.read()
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try send(channel, "x")
        }
        #expect(!channel.isActive, "10 bytes in 10 s does not")
    }

    @Test("a body the server is not reading (no read pending) is never the client's fault")
    func backpressure() throws {
        let (channel, slowClientGuard) = try makeChannel()
        try send(channel, "POST /v1/traces HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
        slowClientGuard.headReceived()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
    }

    @Test("between requests nothing is timed (idle is the idle timeout's business)")
    func betweenRequests() throws {
        let (channel, slowClientGuard) = try makeChannel()
        try send(channel, "GET /healthz HTTP/1.1\r\n\r\n")
        slowClientGuard.headReceived()
        slowClientGuard.requestEnded()
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
    }
}
