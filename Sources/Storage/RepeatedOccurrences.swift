import TraceModel

/// The new occurrence counts and summaries of active exceptions a detection round saw repeat,
/// kept until the round writes them together: on the linked workload a round repeats
/// hundreds of items, and one UPDATE each was a fifth of detection's time. The last note of an
/// item wins. Used only inside one write transaction.
final class RepeatedOccurrences {
    private var latest: [String: (occurrences: Int, summary: String)] = [:]

    func note(_ id: String, occurrences: Int, summary: String) {
        latest[id] = (occurrences, summary)
    }

    /// The noted repeats in id order, and forgets them.
    func takeEntries() -> [(id: String, occurrences: Int, summary: String)] {
        defer { latest = [:] }
        return latest.sorted { $0.key < $1.key }.map { ($0.key, $0.value.occurrences, $0.value.summary) }
    }
}
