import Correlation
import Storage
import TraceModel

/// The workflow a trace belongs to, as `GET /api/v1/traces/{id}` returns it: its traces, its
/// spans (each with its chosen cause and the spans linking to it), the parent and link edges,
/// and the spans referenced but not (yet) stored, as placeholders. Spans come a page at a time
/// (`limit`, default 10,000, at most 50,000; `cursor`): a larger workflow answers
/// `"truncated": true` and a `next_cursor`, with the edges into the page's spans.
struct TraceWorkflowView {
    static let defaultLimit = 10_000
    static let maxLimit = 50_000

    var requestedTrace: TraceID
    var workflow: StoredWorkflow
    /// The first span of the page (the cursor) and how many at most.
    var offset = 0
    var limit = Self.defaultLimit

    /// `limit` and `cursor` from a query, or the reason they are wrong.
    static func page(limit: String?, cursor: String?) throws(APIError) -> (offset: Int, limit: Int) {
        var page = (offset: 0, limit: defaultLimit)
        if let limit {
            guard let value = Int(limit), (1...maxLimit).contains(value) else {
                throw APIError.badRequest("invalid_limit", "limit is an integer from 1 to \(maxLimit)")
            }
            page.limit = value
        }
        if let cursor {
            guard let value = Int(cursor), value >= 0 else {
                throw APIError.badRequest("invalid_cursor", "cursor is the next_cursor of a previous page")
            }
            page.offset = value
        }
        return page
    }

    func json() -> [UInt8] {
        let graph = WorkflowGraph(nodes: workflow.spans.map(\.causalNode))
        let start = min(offset, workflow.spans.count)
        let end = min(workflow.spans.count, start + limit)
        let pageSpans = workflow.spans[start..<end]
        let truncated = end < workflow.spans.count
        var writer = JSONWriter(capacity: 1536 * max(1, pageSpans.count))
        writer.raw("{\"workflow_id\":")
        writer.string(workflow.record.name)
        writer.key("trace_id")
        writer.string(requestedTrace.hex)
        writer.key("span_count")
        writer.number(graph.nodes.count)
        writer.key("truncated")
        writer.bool(truncated)
        writer.key("next_cursor")
        if truncated { writer.string(String(end)) } else { writer.raw("null") }

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
        writer.array(Array(pageSpans)) { writer, span in
            let node = span.causalNode
            span.writeAPIJSON(to: &writer) { writer in
                writer.key("cause")
                Self.writeCause(graph.cause(of: node), graph: graph, to: &writer)
                writer.key("linked_by")
                SpanReference.writeAPIJSON(graph.linkedBy[node.reference] ?? [], to: &writer)
            }
        }

        writer.key("edges")
        let onPage = truncated || start > 0 ? Set(pageSpans.map { SpanReference(traceID: $0.span.traceID, spanID: $0.span.spanID) }) : nil
        writer.array(onPage.map { onPage in graph.edges.filter { onPage.contains($0.to) } } ?? graph.edges) { writer, edge in
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
