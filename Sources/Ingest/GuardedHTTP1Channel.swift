import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel with Causeway's connection rules: the idle timeout,
/// `SlowClientGuard` in front of the codec, and `RequestGuard` (100-continue) behind it.
public struct GuardedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let limits: ConnectionLimits

    public init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits) {
        self.limits = limits
        http1 = HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: [RequestGuard()], idleTimeout: .init(limits.idleTimeout))
        )
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { [limits] value in
            let operations = channel.pipeline.syncOperations
            let slowClientGuard = SlowClientGuard(limits: limits, logger: logger)
            try operations.addHandler(slowClientGuard, position: .first)
            try operations.handler(type: RequestGuard.self).slowClientGuard = slowClientGuard
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
