import Correlation
import TraceModel

extension SpanReference {
    /// `{"trace_id":…,"span_id":…}`
    func writeAPIJSON(to writer: inout JSONWriter) {
        writer.raw("{\"trace_id\":")
        writer.string(traceID.hex)
        writer.key("span_id")
        writer.string(spanID.hex)
        writer.byte(UInt8(ascii: "}"))
    }

    static func writeAPIJSON(_ references: [SpanReference], to writer: inout JSONWriter) {
        writer.array(references) { $1.writeAPIJSON(to: &$0) }
    }
}
