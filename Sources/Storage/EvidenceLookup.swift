import Correlation

/// An exception's story read from what was frozen into it (`FrozenEvidence`) first, then from the
/// spans stored now: an item whose trigger aged out but whose pattern recurred since.
struct EvidenceLookup<Live: SpanLookup>: SpanLookup {
    let frozen: WorkflowGraph
    let live: Live

    func node(_ reference: SpanReference) throws -> CausalNode? {
        try frozen.node(reference) ?? live.node(reference)
    }
}
