import Correlation
import TraceModel

/// A causal path hop as the API returns it (the `causal_path` shape of the contract); a
/// placeholder hop has `"placeholder": true` and nulls where the span's data would be.
extension CausalHop {
    func writeAPIJSON(to writer: inout JSONWriter) {
        writer.raw("{\"trace_id\":")
        writer.string(reference.traceID.hex)
        writer.key("span_id")
        writer.string(reference.spanID.hex)
        writer.key("relation")
        writer.string(relation.rawValue)
        writer.key("placeholder")
        writer.bool(node == nil)
        if let node {
            let span = node.span
            writer.key("parent_span_id")
            if let parent = span.parentSpanID { writer.string(parent.hex) } else { writer.raw("null") }
            writer.key("name")
            writer.string(span.name)
            writer.key("service")
            writer.string(node.service)
            writer.key("kind")
            writer.string(span.kind.name)
            writer.key("status")
            writer.string(span.status.code.name)
            writer.key("start_time")
            writer.string(RFC3339.format(unixNano: span.startTimeUnixNano))
            writer.key("end_time")
            writer.string(RFC3339.format(unixNano: span.endTimeUnixNano))
            writer.key("attributes")
            Attribute.writePlainJSON(span.attributes, to: &writer)
        } else {
            writer.raw(",\"parent_span_id\":null,\"name\":null,\"service\":null,\"kind\":null,\"status\":null")
            writer.raw(",\"start_time\":null,\"end_time\":null,\"attributes\":{}")
        }
        writer.key("alternatives")
        SpanReference.writeAPIJSON(alternatives, to: &writer)
        writer.byte(UInt8(ascii: "}"))
    }

    /// A JSON array of hops.
    static func writeAPIJSON(_ hops: [CausalHop], to writer: inout JSONWriter) {
        writer.array(hops) { $1.writeAPIJSON(to: &$0) }
    }
}
