import Synchronization
import TraceModel

/// Spans accepted per trace, for the per-trace cap (like Tempo's live-trace limit): kept for the
/// most recent traces only (emptied past `capacity` traces), so memory stays bounded; a trace
/// forgotten that way starts counting again.
final class TraceSpanCounts: Sendable {
    static let capacity = 100_000
    let limit: Int
    private let counts = Mutex([TraceID: Int]())

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts the batch's spans per trace and returns the traces that would pass the cap (their
    /// spans are not counted: the caller refuses them).
    func admit(_ perTrace: [TraceID: Int]) -> Set<TraceID> {
        counts.withLock { counts in
            if counts.count + perTrace.count > Self.capacity { counts = [:] }
            var over: Set<TraceID> = []
            for (trace, spans) in perTrace {
                let total = counts[trace, default: 0] + spans
                if total > limit { over.insert(trace) } else { counts[trace] = total }
            }
            return over
        }
    }

    /// Takes back what `admit` counted for spans that were then not stored.
    func giveBack(_ perTrace: [TraceID: Int], except over: Set<TraceID>) {
        counts.withLock { counts in
            for (trace, spans) in perTrace where !over.contains(trace) {
                if let current = counts[trace] { counts[trace] = max(0, current - spans) }
            }
        }
    }
}
