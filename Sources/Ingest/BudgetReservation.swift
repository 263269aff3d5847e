/// The bytes one request holds in the ingest budget; grows as a body is read or decompressed
/// and is given back once, when the request is answered.
public struct BudgetReservation: ~Copyable {
    let budget: IngestBudget
    /// Bytes held now.
    public private(set) var bytes: Int

    /// Reserves `bytes` up front; nil when they do not fit.
    public init?(_ budget: IngestBudget, bytes: Int) {
        guard budget.reserve(bytes) else { return nil }
        self.budget = budget
        self.bytes = bytes
    }

    /// Holds at least `total` bytes; false (holding what it held) when the rest does not fit.
    public mutating func grow(to total: Int) -> Bool {
        guard total > bytes else { return true }
        guard budget.reserve(total - bytes) else { return false }
        bytes = total
        return true
    }

    /// Gives the bytes back now (the request has been answered).
    public consuming func end() {}

    deinit {
        budget.release(bytes)
    }
}
