import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Behind the HTTP codec: answers `Expect: 100-continue` at once, and tells the connection's
/// `SlowClientGuard` where each request's head, body and end are.
final class RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    var slowClientGuard: SlowClientGuard?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            slowClientGuard?.headReceived()
            if head.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            slowClientGuard?.requestEnded()
        }
        context.fireChannelRead(data)
    }
}
