import Logging
import ServiceLifecycle

/// The queue's timer: judges the patterns that wait for a workflow to go quiet
/// (`unresolved_failure`, approvals whose ancestors never arrived) when each workflow's settle
/// window ends, marks items breached (and escalates them) when their due time passes, and
/// refreshes the queue's planner statistics hourly. Driven by the injected clock, so tests advance time
/// instead of sleeping.
public struct SettleTimer: Service {
    let store: any QueueMaintenance
    let clock: any WallClock
    /// Looks for new windows at least this often (a write may open one that ends sooner than the
    /// one being waited for).
    let pollNanos: UInt64
    let logger: Logger

    public init(store: any QueueMaintenance, clock: any WallClock, pollNanos: UInt64 = 1_000_000_000, logger: Logger) {
        self.store = store
        self.clock = clock
        self.pollNanos = pollNanos
        self.logger = logger
    }

    /// How often the queue's planner statistics are refreshed (`TraceStore.analyzeQueue`).
    static let analyzeEveryNanos: UInt64 = 3600 * 1_000_000_000

    public func run() async throws {
        // Shutdown cancels the wait; that is a normal end, not an error for the group.
        try? await cancelWhenGracefulShutdown {
            var analyzed: UInt64?
            while !Task.isCancelled {
                let now = clock.now()
                var next = now &+ pollNanos
                if analyzed.map({ now &- $0 >= Self.analyzeEveryNanos }) ?? true {
                    do {
                        try await store.analyzeQueue()
                    } catch {
                        logger.warning("refreshing the queue's statistics failed", metadata: ["error": "\(error)"])
                    }
                    analyzed = now
                }
                // More due than one batch: go again at once (each batch its own short transaction).
                var more = false
                do {
                    let result = try await store.settle(now: now)
                    if !result.opened.isEmpty {
                        logger.info("settled workflows opened exceptions", metadata: ["exceptions": "\(result.opened.joined(separator: ","))"])
                    }
                    more = result.nextDue == now
                    if let due = result.nextDue { next = min(next, max(due, now &+ 1)) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("settle pass failed", metadata: ["error": "\(error)"])
                }
                do {
                    let result = try await store.breachOverdue(now: now)
                    if !result.breached.isEmpty {
                        logger.info("exceptions breached their SLA", metadata: ["exceptions": "\(result.breached.joined(separator: ","))"])
                    }
                    if let due = result.nextDue { next = min(next, max(due, now &+ 1)) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("SLA breach pass failed", metadata: ["error": "\(error)"])
                }
                if more {
                    await Task.yield()
                    continue
                }
                try await clock.sleep(until: next)
            }
        }
    }
}
