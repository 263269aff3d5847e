import Correlation
import TraceModel

/// The story frozen into an exception before its spans aged out (DESIGN.md §10): the spans of
/// every trace its causal path or receipts touched, and which of them its pattern counted.
struct FrozenEvidence {
    let spans: [StoredSpan]
    /// The spans its pattern counted (its receipts' attempts).
    let counted: [SpanReference]

    /// The traces whose spans are frozen into an exception: its trigger's, its path's and its
    /// counted attempts'.
    static func traces(trigger: SpanReference, path: CausalPath?, counted: [SpanReference]) -> Set<TraceID> {
        var traces = Set(counted.map(\.traceID) + (path?.hops.map(\.reference.traceID) ?? []))
        traces.insert(trigger.traceID)
        return traces
    }

    /// The frozen spans as a graph to walk paths and receipts over.
    var lookup: WorkflowGraph { WorkflowGraph(nodes: spans.map(\.causalNode)) }

    /// The frozen spans of each trace.
    var spansByTrace: [TraceID: [StoredSpan]] { Dictionary(grouping: spans, by: \.span.traceID) }
}
