import Correlation
import Storage
import TraceModel

/// The workflow a trace belongs to, as `GET /api/v1/traces/{id}` returns it: its traces, its
/// spans (each with its chosen cause and the spans linking to it), the parent and link edges,
/// and the spans referenced but not (yet) stored, as placeholders.
struct TraceWorkflowView {
    var requestedTrace: TraceID
    var workflow: StoredWorkflow

    func json() -> [UInt8] {
        let graph = WorkflowGraph(nodes: workflow.spans.map(\.causalNode))
        var writer = JSONWriter(capacity: 1536 * max(1, workflow.spans.count))
        writer.raw("{\"workflow_id\":")
        writer.string(workflow.record.name)
        writer.key("trace_id")
        writer.string(requestedTrace.hex)
        writer.key("span_count")
        writer.number(graph.nodes.count)

        writer.key("traces")
        let byTrace = Dictionary(grouping: graph.nodes, by: \.span.traceID)
        writer.array(workflow.traceIDs) { writer, traceID in
            let nodes = byTrace[traceID] ?? []
            writer.raw("{\"trace_id\":")
            writer.string(traceID.hex)
            writer.key("span_count")
            writer.number(nodes.count)
            writer.key("placeholder")
            writer.bool(nodes.isEmpty)
            writer.key("start_time")
            if let start = nodes.map(\.span.startTimeUnixNano).min() { writer.string(RFC3339.format(unixNano: start)) } else { writer.raw("null") }
            writer.key("end_time")
            if let end = nodes.map(\.span.endTimeUnixNano).max() { writer.string(RFC3339.format(unixNano: end)) } else { writer.raw("null") }
            writer.key("services")
            writer.array(Set(nodes.map(\.service)).sorted()) { $0.string($1) }
            writer.key("root_span_ids")
            let roots = nodes.filter { node in
                guard let parent = node.span.parentSpanID else { return true }
                return graph.node(SpanReference(traceID: traceID, spanID: parent)) == nil
            }
            writer.array(roots) { $0.string($1.span.spanID.hex) }
            writer.byte(UInt8(ascii: "}"))
        }

        writer.key("spans")
        writer.array(workflow.spans) { writer, span in
            let node = span.causalNode
            span.writeAPIJSON(to: &writer) { writer in
                writer.key("cause")
                Self.writeCause(graph.cause(of: node), graph: graph, to: &writer)
                writer.key("linked_by")
                SpanReference.writeAPIJSON(graph.linkedBy[node.reference] ?? [], to: &writer)
            }
        }

        writer.key("edges")
        writer.array(graph.edges) { writer, edge in
            writer.raw("{\"type\":")
            writer.string(edge.kind.rawValue)
            writer.key("from")
            edge.from.writeAPIJSON(to: &writer)
            writer.key("to")
            edge.to.writeAPIJSON(to: &writer)
            writer.key("from_placeholder")
            writer.bool(graph.node(edge.from) == nil)
            writer.byte(UInt8(ascii: "}"))
        }

        writer.key("placeholders")
        writer.array(graph.placeholders) { writer, placeholder in
            writer.raw("{\"trace_id\":")
            writer.string(placeholder.reference.traceID.hex)
            writer.key("span_id")
            writer.string(placeholder.reference.spanID.hex)
            writer.key("referenced_by")
            SpanReference.writeAPIJSON(placeholder.referencedBy, to: &writer)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// `{"trace_id","span_id","relation","placeholder","alternatives"}` or null for an origin.
    private static func writeCause(_ cause: Cause?, graph: WorkflowGraph, to writer: inout JSONWriter) {
        guard let cause else {
            writer.raw("null")
            return
        }
        writer.raw("{\"trace_id\":")
        writer.string(cause.reference.traceID.hex)
        writer.key("span_id")
        writer.string(cause.reference.spanID.hex)
        writer.key("relation")
        switch cause {
        case .parent:
            writer.raw("\"child_of\"")
        case .link:
            writer.raw("\"linked_from\"")
        }
        writer.key("placeholder")
        writer.bool(graph.node(cause.reference) == nil)
        writer.key("alternatives")
        if case .link(_, let alternatives) = cause {
            SpanReference.writeAPIJSON(alternatives, to: &writer)
        } else {
            writer.raw("[]")
        }
        writer.byte(UInt8(ascii: "}"))
    }
}
