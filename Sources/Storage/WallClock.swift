import Foundation

/// Unix time for timestamps, SLAs and settle windows. Passed in, so tests move time by hand
/// instead of sleeping. (Swift's `Clock` instants are not Unix times, which SLAs need.)
public protocol WallClock: Sendable {
    /// Now, in Unix nanoseconds.
    func now() -> UInt64
    /// Returns once `now()` has reached `deadline` (or throws on cancellation).
    func sleep(until deadline: UInt64) async throws
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> UInt64 {
        UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    public func sleep(until deadline: UInt64) async throws {
        let current = now()
        guard deadline > current else { return }
        try await Task.sleep(for: .nanoseconds(Int64(min(deadline - current, UInt64(Int64.max)))))
    }
}
