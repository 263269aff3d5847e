/// The order of a list of exceptions.
public enum ExceptionOrder: Sendable, Equatable {
    /// Newest opened first (the API's order).
    case newest
    /// Most urgent first: the earliest due time first, so breached items lead, the longest
    /// breached first, then the ones due soonest (the dashboard's queue).
    case urgency

    var column: String {
        switch self {
        case .newest: "opened_at_unix_nano"
        case .urgency: "due_at_unix_nano"
        }
    }

    func sortKey(of record: ExceptionRecord) -> UInt64 {
        switch self {
        case .newest: record.openedAtUnixNano
        case .urgency: record.dueAtUnixNano
        }
    }
}
