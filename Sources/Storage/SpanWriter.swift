import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import TraceModel

/// The single writer: requests queue here (bounded) and are committed together, one
/// transaction per round. `write(_:)` returns only after its spans are committed.
public final class SpanWriter: Service, Sendable {
    /// The writer cannot take the request now; the caller should answer "retry later".
    public struct Saturated: Error, Sendable {
        public var queuedSpans: Int
    }

    /// The writer has stopped and takes nothing more.
    public struct Stopped: Error, Sendable {}

    private struct Pending: Sendable {
        var rows: SpanRows
        var continuation: CheckedContinuation<Void, any Error>
        var enqueuedAt: ContinuousClock.Instant
    }

    private struct State {
        var pending: [Pending] = []
        var queuedSpans = 0
        /// When the oldest request not yet committed arrived (queued or in the running transaction).
        var oldestWaiting: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let store: any SpanRecorder
    private let logger: Logger
    private let state = Mutex(State())
    /// Spans waiting beyond this refuse new requests with `Saturated`.
    public let maxQueuedSpans: Int
    private let counters = Mutex(Counters())

    /// Running totals of what the writer did.
    public struct Counters: Sendable {
        public var spansWritten = 0
        public var spansDuplicate = 0
        public var transactions = 0
        public var requestsRefused = 0
        /// Time spent in transactions (insert, stitch, commit), and the stitching part of it.
        public var writingSeconds = 0.0
        public var stitchingSeconds = 0.0
        public var detectionSeconds = 0.0
        public var exceptionsOpened = 0
    }

    private let clock: any WallClock

    public convenience init(store: TraceStore, maxQueuedSpans: Int = 65_536, clock: any WallClock = SystemClock(), logger: Logger) {
        self.init(recorder: store, maxQueuedSpans: maxQueuedSpans, clock: clock, logger: logger)
    }

    public convenience init(store: PostgresStore, maxQueuedSpans: Int = 65_536, clock: any WallClock = SystemClock(), logger: Logger) {
        self.init(recorder: store, maxQueuedSpans: maxQueuedSpans, clock: clock, logger: logger)
    }

    init(recorder store: any SpanRecorder, maxQueuedSpans: Int, clock: any WallClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.maxQueuedSpans = maxQueuedSpans
        self.logger = logger
    }

    public var statistics: Counters { counters.withLock { $0 } }

    /// Spans accepted and waiting for the next commit.
    public var queuedSpans: Int { state.withLock { $0.queuedSpans } }

    /// Ingest lag: how long the oldest accepted request not yet committed has waited (0 when none).
    public var lagSeconds: Double {
        state.withLock { $0.oldestWaiting.map { (ContinuousClock.now - $0).seconds } ?? 0 }
    }

    /// Stores the batch and returns once it is committed; spans already stored are skipped.
    /// Throws `Saturated` when the queue is full, `Stopped` after shutdown, and
    /// `CancellationError` when the caller is cancelled while its rows are made.
    public func write(_ batch: TraceBatch) async throws {
        // Turning spans into rows (attributes to JSON, facts read off each span) walks every
        // value: on NIO's thread pool, not Swift's cooperative pool, whose two threads every
        // request handler — `/healthz` too — needs (with 13 bodies of 19 MiB being made into rows
        // there, a probe waited up to 273 ms in five runs).
        let plan = store.plan
        let rows: SpanRows
        do {
            rows = try await NIOThreadPool.singleton.runIfActive { SpanRows(batch, plan: plan) }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw Stopped()   // the process is shutting down
        }
        let count = rows.spans.count
        guard count > 0 else { return }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome: (waiter: CheckedContinuation<Void, Never>?, error: (any Error)?) = state.withLock { state in
                if state.finished { return (nil, Stopped()) }
                if !state.pending.isEmpty, state.queuedSpans + count > maxQueuedSpans {
                    return (nil, Saturated(queuedSpans: state.queuedSpans))
                }
                state.pending.append(Pending(rows: rows, continuation: continuation, enqueuedAt: .now))
                if state.oldestWaiting == nil { state.oldestWaiting = .now }
                state.queuedSpans += count
                defer { state.waiter = nil }
                return (state.waiter, nil)
            }
            if let error = outcome.error {
                if error is Saturated { counters.withLock { $0.requestsRefused += 1 } }
                continuation.resume(throwing: error)
            }
            outcome.waiter?.resume()
        }
    }

    /// Commits queued requests until shutdown, then drains what was accepted and returns.
    public func run() async throws {
        // Shutdown and cancellation both drain: stop taking requests, commit what was accepted.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while let round = await nextRound() {
                    await commit(round)
                }
            } onGracefulShutdown: {
                self.finish()
            }
        } onCancel: {
            self.finish()
        }
        logger.info("span writer stopped", metadata: ["spans_written": "\(statistics.spansWritten)"])
    }

    /// Stops taking requests; those already queued are still committed.
    public func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func nextRound() async -> [Pending]? {
        while true {
            let taken: [Pending]?? = state.withLock { state in
                if !state.pending.isEmpty {
                    defer {
                        state.pending = []
                        state.queuedSpans = 0
                    }
                    return .some(state.pending)
                }
                return state.finished ? .some(nil) : .none
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if !state.pending.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func commit(_ round: [Pending]) async {
        let receivedAt = clock.now()
        let started = ContinuousClock.now
        do {
            let recorded = try await store.recordSpans(round.map(\.rows), receivedAt: receivedAt)
            let total = round.reduce(0) { $0 + $1.rows.spans.count }
            let elapsed = ContinuousClock.now - started
            counters.withLock {
                $0.spansWritten += recorded.inserted
                $0.spansDuplicate += total - recorded.inserted
                $0.transactions += 1
                $0.writingSeconds += elapsed.seconds
                $0.stitchingSeconds += recorded.stitching.seconds
                $0.detectionSeconds += recorded.detection.seconds
                $0.exceptionsOpened += recorded.opened.count
            }
            state.withLock { $0.oldestWaiting = $0.pending.first?.enqueuedAt }
            for pending in round { pending.continuation.resume() }
        } catch {
            state.withLock { $0.oldestWaiting = $0.pending.first?.enqueuedAt }
            logger.error("span batch could not be committed", metadata: ["error": "\(error)", "requests": "\(round.count)"])
            for pending in round { pending.continuation.resume(throwing: error) }
        }
    }
}
