import TraceModel

/// The step back from a span towards its workflow's origin: its parent inside the trace, or,
/// at a trace's root, the span it links to.
public enum Cause: Hashable, Sendable {
    /// The span's parent (which may not have arrived).
    case parent(SpanReference)
    /// The root's chosen link and the links not taken (batch fan-in), in the order they rank.
    case link(SpanReference, alternatives: [SpanReference])

    public var reference: SpanReference {
        switch self {
        case .parent(let reference), .link(let reference, _): reference
        }
    }

    /// The cause of `node`, or nil for an origin (a root without links). Among several links the
    /// one to the earliest-starting span that has arrived wins (ties by id); links to spans not
    /// (yet) stored rank after, in link order. `excluding` removes candidates (spans already on a path).
    public static func of(
        _ node: CausalNode, in lookup: some SpanLookup, excluding: Set<SpanReference> = []
    ) throws -> Cause? {
        if let parent = node.span.parentSpanID {
            return .parent(SpanReference(traceID: node.span.traceID, spanID: parent))
        }
        var seen: Set<SpanReference> = []
        var arrived: [(start: UInt64, reference: SpanReference)] = []
        var missing: [SpanReference] = []
        for link in node.span.links {
            let reference = SpanReference(link)
            guard reference != node.reference, seen.insert(reference).inserted else { continue }
            if let target = try lookup.node(reference) {
                arrived.append((target.span.startTimeUnixNano, reference))
            } else {
                missing.append(reference)
            }
        }
        let ranked = arrived.sorted { ($0.start, $0.reference) < ($1.start, $1.reference) }.map(\.reference) + missing
        guard let chosen = ranked.first(where: { !excluding.contains($0) }) else { return nil }
        return .link(chosen, alternatives: ranked.filter { $0 != chosen })
    }
}
