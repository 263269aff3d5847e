import Logging
import NIOCore
import Synchronization

/// At most `limit` gRPC connections open at once: one past it is closed as it is accepted
/// (the transport has no backlog pause), with one line logged each time the cap is reached.
final class GRPCConnectionCap: Sendable {
    let limit: Int
    let logger: Logger
    private let open = Atomic<Int>(0)
    private let atCap = Atomic<Bool>(false)

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func admit(_ channel: any Channel) -> EventLoopFuture<Void> {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        channel.closeFuture.whenComplete { [self] _ in
            if open.wrappingSubtract(1, ordering: .relaxed).newValue < limit { atCap.store(false, ordering: .relaxed) }
        }
        guard count <= limit else {
            if !atCap.exchange(true, ordering: .relaxed) {
                logger.warning("connection cap reached; new connections are closed until one closes",
                               metadata: ["listener": "otlp-grpc", "max_connections": "\(limit)"])
            }
            return channel.close()
        }
        return channel.eventLoop.makeSucceededVoidFuture()
    }
}
