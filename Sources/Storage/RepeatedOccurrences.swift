import TraceModel

/// The new occurrence counts and summaries of active exceptions a detection round saw repeat,
/// kept until the round writes them in one statement: on the linked workload a round repeats
/// hundreds of items, and one UPDATE each was a fifth of detection's time. The last note of an
/// item wins. Used only inside one write transaction.
final class RepeatedOccurrences {
    private var latest: [String: (occurrences: Int, summary: String)] = [:]

    func note(_ id: String, occurrences: Int, summary: String) {
        latest[id] = (occurrences, summary)
    }

    /// The noted repeats as a JSON array of `[id, occurrences, summary]`, and forgets them; nil when none.
    func take() -> String? {
        guard !latest.isEmpty else { return nil }
        var json = JSONWriter(capacity: latest.count * 96)
        json.array(latest.sorted { $0.key < $1.key }) { json, entry in
            json.byte(UInt8(ascii: "["))
            json.string(entry.key)
            json.byte(UInt8(ascii: ","))
            json.number(entry.value.occurrences)
            json.byte(UInt8(ascii: ","))
            json.string(entry.value.summary)
            json.byte(UInt8(ascii: "]"))
        }
        latest = [:]
        return json.string
    }
}
