import Foundation

/// Where a sweep of the old traces of living workflows has got to, in first-received order: the
/// next batch starts after it.
public struct AgedTraceCursor: Sendable, Equatable {
    public var firstReceivedAtUnixNano: Int64
    public var traceID: Data
}
