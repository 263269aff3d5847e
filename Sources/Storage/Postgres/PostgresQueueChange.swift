/// Whether a transaction on PostgreSQL changed the queue: noted on the session thread while it
/// runs, read once it has returned (the session's continuation orders the two). A change is told
/// to every instance (`NOTIFY`, delivered at commit) and wakes their waiters.
final class PostgresQueueChange: @unchecked Sendable {
    private(set) var changed = false

    /// The PostgreSQL channel changes are told on.
    static let channel = "causeway_queue"

    func note() {
        changed = true
    }
}
