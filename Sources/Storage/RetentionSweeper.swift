import Logging
import ServiceLifecycle

/// Ages out old workflows, then old traces of workflows that live on (DESIGN.md §10): every `min(retention / 10, 1 min)` on the injected
/// clock, small batches (one short write transaction each, so ingest is never stalled) until
/// none is left, then free pages are given back a few at a time.
public struct RetentionSweeper: Service {
    let store: any RetentionStore
    let clock: any WallClock
    let retentionNanos: UInt64
    let logger: Logger

    public init(store: any RetentionStore, clock: any WallClock, retentionNanos: UInt64, logger: Logger) {
        self.store = store
        self.clock = clock
        self.retentionNanos = retentionNanos
        self.logger = logger
    }

    var intervalNanos: UInt64 { min(retentionNanos / 10, 60_000_000_000) }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await clock.sleep(until: clock.now() &+ intervalNanos)
                do {
                    try await sweep()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("a retention sweep failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One sweep: every workflow past the retention, batch by batch.
    func sweep() async throws {
        let cutoff = clock.now() &- retentionNanos
        var total = SweptWorkflows()
        while true {
            let swept = try await store.sweepExpired(receivedBefore: cutoff, after: total.lastWorkflowID)
            total.workflows += swept.workflows
            total.spans += swept.spans
            total.lastWorkflowID = swept.lastWorkflowID
            if swept.workflows == 0 || Task.isCancelled { break }
            await Task.yield()
        }
        // Then the old traces of workflows that live on, batch by batch.
        var traces = 0
        var traceSpans = 0
        var cursor: AgedTraceCursor?
        repeat {
            let swept = try await store.sweepAgedTraces(receivedBefore: cutoff, after: cursor)
            traces += swept.traces
            traceSpans += swept.spans
            cursor = swept.next
            await Task.yield()
        } while cursor != nil && !Task.isCancelled
        if total.workflows > 0 || traces > 0 {
            try await store.reclaimSpace()
            logger.info("aged out old workflows and traces", metadata: [
                "workflows": "\(total.workflows)", "spans": "\(total.spans + traceSpans)", "traces_of_living_workflows": "\(traces)",
            ])
        }
    }
}
