import Synchronization

/// One byte budget for every export in flight, over both protocols (like the Collector's
/// memory_limiter): a request reserves its bytes before its body is read and is refused at once
/// when they do not fit, so memory is bounded per process, not per request.
public final class IngestBudget: Sendable {
    /// The bytes that may be held at once.
    public let limit: Int
    private let held = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Bytes reserved now.
    public var inUse: Int { held.load(ordering: .relaxed) }

    /// Reserves `bytes` if they fit; false (nothing reserved) when they do not.
    public func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var current = held.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limit else { return false }
            let (exchanged, original) = held.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back bytes an earlier `reserve` took.
    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        held.wrappingSubtract(bytes, ordering: .relaxed)
    }
}
