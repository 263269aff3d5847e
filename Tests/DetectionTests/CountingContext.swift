import Correlation
import Detection
import TraceModel

/// A context that counts how often a detector reads spans by name.
struct CountingContext: DetectionContext {
    final class Reads: @unchecked Sendable {
        var count = 0
    }

    let base: MemoryContext
    let reads = Reads()
    var settled: Bool { base.settled }

    func facts(_ key: String) -> [FactOccurrence] { base.facts(key) }
    func keys() -> [String] { base.keys() }
    func node(_ reference: SpanReference) -> CausalNode? { base.node(reference) }
    func filed(_ dedupeKey: DedupeKey) -> FiledException? { nil }
    func reviewerApproved(tool: String) -> Bool { false }
    func hasSpans(startingAfter time: UInt64) -> Bool { base.hasSpans(startingAfter: time) }
    func spans(named name: String, startingAfter start: UInt64) -> [CausalNode] {
        reads.count += 1
        return base.spans(named: name, startingAfter: start)
    }
}
