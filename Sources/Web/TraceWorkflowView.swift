import Storage
import TraceModel

/// The workflow a trace belongs to, as `GET /api/v1/traces/{id}` returns it: its traces, spans,
/// and the parent and link edges between them; spans referenced but not (yet) stored are
/// listed as placeholders.
struct TraceWorkflowView {
    var workflowID: String
    var spans: [StoredSpan]

    struct SpanKey: Hashable {
        var traceID: TraceID
        var spanID: SpanID
    }

    func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 1024 * max(1, spans.count))
        let present = Set(spans.map { SpanKey(traceID: $0.span.traceID, spanID: $0.span.spanID) })
        writer.raw("{\"workflow_id\":")
        writer.string(workflowID)

        writer.raw(",\"traces\":[")
        let byTrace = Dictionary(grouping: spans, by: \.span.traceID)
        for (index, traceID) in byTrace.keys.sorted().enumerated() {
            let traceSpans = byTrace[traceID] ?? []
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"trace_id\":")
            writer.string(traceID.hex)
            writer.key("span_count")
            writer.number(traceSpans.count)
            writer.key("start_time")
            writer.string(RFC3339.format(unixNano: traceSpans.map(\.span.startTimeUnixNano).min() ?? 0))
            writer.key("end_time")
            writer.string(RFC3339.format(unixNano: traceSpans.map(\.span.endTimeUnixNano).max() ?? 0))
            writer.raw(",\"root_span_ids\":[")
            let roots = traceSpans.filter {
                guard let parent = $0.span.parentSpanID else { return true }
                return !present.contains(SpanKey(traceID: traceID, spanID: parent))
            }
            for (rootIndex, root) in roots.enumerated() {
                if rootIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(root.span.spanID.hex)
            }
            writer.raw("]}")
        }

        writer.raw("],\"spans\":[")
        for (index, span) in spans.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            span.writeAPIJSON(to: &writer)
        }

        writer.raw("],\"edges\":[")
        var missing: [SpanKey: [SpanKey]] = [:]
        var first = true
        for stored in spans {
            let span = stored.span
            let child = SpanKey(traceID: span.traceID, spanID: span.spanID)
            if let parent = span.parentSpanID {
                let parentKey = SpanKey(traceID: span.traceID, spanID: parent)
                Self.writeEdge("parent", from: parentKey, to: child, first: &first, to: &writer)
                if !present.contains(parentKey) { missing[parentKey, default: []].append(child) }
            }
            for link in span.links {
                let cause = SpanKey(traceID: link.traceID, spanID: link.spanID)
                Self.writeEdge("link", from: cause, to: child, first: &first, to: &writer)
                if !present.contains(cause) { missing[cause, default: []].append(child) }
            }
        }

        writer.raw("],\"placeholders\":[")
        let placeholders = missing.keys.sorted { ($0.traceID, $0.spanID) < ($1.traceID, $1.spanID) }
        for (index, key) in placeholders.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"trace_id\":")
            writer.string(key.traceID.hex)
            writer.key("span_id")
            writer.string(key.spanID.hex)
            writer.raw(",\"referenced_by\":[")
            for (refIndex, reference) in (missing[key] ?? []).enumerated() {
                if refIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                Self.writeRef(reference, to: &writer)
            }
            writer.raw("]}")
        }
        writer.raw("]}")
        return writer.bytes
    }

    private static func writeEdge(_ type: StaticString, from: SpanKey, to: SpanKey, first: inout Bool, to writer: inout JSONWriter) {
        if !first { writer.byte(UInt8(ascii: ",")) }
        first = false
        writer.raw("{\"type\":\"")
        writer.raw(type)
        writer.raw("\",\"from\":")
        writeRef(from, to: &writer)
        writer.raw(",\"to\":")
        writeRef(to, to: &writer)
        writer.byte(UInt8(ascii: "}"))
    }

    private static func writeRef(_ key: SpanKey, to writer: inout JSONWriter) {
        writer.raw("{\"trace_id\":")
        writer.string(key.traceID.hex)
        writer.key("span_id")
        writer.string(key.spanID.hex)
        writer.byte(UInt8(ascii: "}"))
    }
}
