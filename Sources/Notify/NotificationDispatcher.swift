import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Storage

/// Delivers the outbox (DESIGN.md §9): a signed POST per delivery, at least once; a failed one
/// is retried after 1 s, doubling to 1 h, for 24 h, then given up and counted. Woken by the
/// commit that writes a delivery, and by its clock for retries (the injected clock: tests move
/// time instead of sleeping).
public struct NotificationDispatcher: Service {
    let store: any NotificationOutbox
    let targets: [String: NotificationTarget]
    let clock: any WallClock
    let logger: Logger
    /// Looks at the outbox at least this often.
    let pollNanos: UInt64

    static let firstRetryNanos: UInt64 = 1_000_000_000
    static let maxRetryNanos: UInt64 = 3_600_000_000_000
    static let retryWindowNanos: UInt64 = 24 * 3_600_000_000_000
    /// Deliveries in flight at once.
    static let batch = 32

    public init(store: any NotificationOutbox, targets: [NotificationTarget], clock: any WallClock, pollNanos: UInt64 = 1_000_000_000, logger: Logger) {
        self.store = store
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.clock = clock
        self.pollNanos = pollNanos
        self.logger = logger
    }

    /// When a delivery that has failed `attempts` times (this one included) is tried again,
    /// or nil once the retry window since `created` is spent.
    static func retryAt(now: UInt64, attempts: Int, created: UInt64) -> UInt64? {
        let shift = UInt64(min(max(attempts - 1, 0), 40))
        let backoff = min(firstRetryNanos << shift, maxRetryNanos)
        let next = now &+ backoff
        return next &- created > retryWindowNanos ? nil : next
    }

    public func run() async throws {
        guard !targets.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        var configuration = HTTPClient.Configuration()
        // A receiver that is down should fail the attempt at once (the client otherwise retries
        // a refused connection until its connect timeout), so the retry schedule is ours.
        configuration.timeout.connect = .seconds(1)
        configuration.timeout.read = .seconds(10)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await cancelWhenGracefulShutdownIgnoringErrors { await loop(client) }
        try await client.shutdown()
    }

    private func cancelWhenGracefulShutdownIgnoringErrors(_ body: @escaping @Sendable () async -> Void) async {
        try? await cancelWhenGracefulShutdown { await body() }
    }

    private func loop(_ client: HTTPClient) async {
        while !Task.isCancelled {
            let version = store.queueChanges.version
            let now = clock.now()
            var next = now &+ pollNanos
            do {
                let due = try await store.dueDeliveries(now: now, limit: Self.batch)
                await withTaskGroup(of: Void.self) { group in
                    for delivery in due { group.addTask { await deliver(delivery, client) } }
                }
                if due.count == Self.batch { continue }
                if let due = try await store.nextDeliveryDue() { next = min(next, max(due, now &+ 1)) }
            } catch {
                logger.error("reading the notification outbox failed", metadata: ["error": "\(error)"])
            }
            await store.queueChanges.wait(after: version, orUntil: next, on: clock)
        }
    }

    /// One attempt: 2xx delivers; anything else is a failure to retry.
    func deliver(_ delivery: OutboxDelivery, _ client: HTTPClient) async {
        guard let target = targets[delivery.target] else {
            logger.warning("a delivery's notify entry is no longer configured: given up", metadata: ["target": "\(delivery.target)", "delivery": "\(delivery.deliveryID)"])
            try? await store.markFailed(delivery, error: "no notify entry named \(delivery.target)", retryAt: nil)
            return
        }
        let failure: String
        do {
            var request = HTTPClientRequest(url: target.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "causeway")
            request.headers.add(name: "Causeway-Event", value: delivery.event)
            request.headers.add(name: "Causeway-Delivery", value: delivery.deliveryID)
            if target.secretEnv != nil {
                request.headers.add(name: "Causeway-Signature",
                                    value: DeliverySignature.header(secret: target.secret, body: delivery.body, unixSeconds: clock.now() / 1_000_000_000))
            }
            request.body = .bytes(ByteBuffer(bytes: delivery.body))
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if (200..<300).contains(response.status.code) {
                try await store.markDelivered(delivery)
                return
            }
            failure = "HTTP \(response.status.code)"
        } catch {
            failure = "\(error)"
        }
        let retryAt = Self.retryAt(now: clock.now(), attempts: delivery.attempts + 1, created: delivery.createdAtUnixNano)
        if retryAt == nil {
            logger.error("a notification was given up after retrying for 24 h",
                         metadata: ["target": "\(delivery.target)", "delivery": "\(delivery.deliveryID)", "error": "\(failure)"])
        } else {
            logger.warning("a notification failed; it will be retried",
                           metadata: ["target": "\(delivery.target)", "delivery": "\(delivery.deliveryID)", "error": "\(failure)"])
        }
        do {
            try await store.markFailed(delivery, error: failure, retryAt: retryAt)
        } catch {
            logger.error("recording a failed notification failed", metadata: ["error": "\(error)"])
        }
    }
}
