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
        let graph = WorkflowGraph(nodes: workflow.spans.map { CausalNode(span: $0.span, service: $0.resource.serviceName) })
        let stored = Dictionary(workflow.spans.map { (SpanReference($0.span), $0) }, uniquingKeysWith: { first, _ in first })
        var writer = JSONWriter(capacity: 1536 * max(1, workflow.spans.count))
        writer.raw("{\"workflow_id\":")
        writer.string(workflow.record.name)
        writer.key("trace_id")
        writer.string(requestedTrace.hex)
        writer.key("span_count")
        writer.number(graph.nodes.count)

        writer.raw(",\"traces\":[")
        let byTrace = Dictionary(grouping: graph.nodes, by: \.span.traceID)
        for (index, traceID) in workflow.traceIDs.enumerated() {
            let nodes = byTrace[traceID] ?? []
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
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
            writer.byte(UInt8(ascii: "["))
            for (serviceIndex, service) in Set(nodes.map(\.service)).sorted().enumerated() {
                if serviceIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(service)
            }
            writer.byte(UInt8(ascii: "]"))
            writer.key("root_span_ids")
            writer.byte(UInt8(ascii: "["))
            let roots = nodes.filter { node in
                guard let parent = node.span.parentSpanID else { return true }
                return graph.node(SpanReference(traceID: traceID, spanID: parent)) == nil
            }
            for (rootIndex, root) in roots.enumerated() {
                if rootIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(root.span.spanID.hex)
            }
            writer.raw("]}")
        }

        writer.raw("],\"spans\":[")
        for (index, node) in graph.nodes.enumerated() {
            guard let span = stored[node.reference] else { continue }
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            span.writeAPIJSON(to: &writer) { writer in
                writer.key("cause")
                Self.writeCause(graph.cause(of: node), graph: graph, to: &writer)
                writer.key("linked_by")
                SpanReference.writeAPIJSON(graph.linkedBy[node.reference] ?? [], to: &writer)
            }
        }

        writer.raw("],\"edges\":[")
        for (index, edge) in graph.edges.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
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

        writer.raw("],\"placeholders\":[")
        for (index, placeholder) in graph.placeholders.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"trace_id\":")
            writer.string(placeholder.reference.traceID.hex)
            writer.key("span_id")
            writer.string(placeholder.reference.spanID.hex)
            writer.key("referenced_by")
            SpanReference.writeAPIJSON(placeholder.referencedBy, to: &writer)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.raw("]}")
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
