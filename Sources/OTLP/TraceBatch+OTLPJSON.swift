import TraceModel

/// TraceModel → OTLP JSON: what JSON exporters send. Tests build bodies with it.
extension TraceBatch {
    /// This batch as an OTLP JSON `ExportTraceServiceRequest`.
    public func jsonExportRequest() -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"resourceSpans\":[")
        for (groupIndex, group) in resourceGroups.enumerated() {
            if groupIndex > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"resource\":{\"attributes\":")
            Attribute.writeJSON(group.resource.attributes, to: &writer)
            writer.key("droppedAttributesCount")
            writer.number(group.resource.droppedAttributesCount)
            writer.raw("},\"schemaUrl\":")
            writer.string(group.resource.schemaURL)
            writer.raw(",\"scopeSpans\":[")
            for (scopeIndex, scopeGroup) in group.scopeGroups.enumerated() {
                if scopeIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                let scope = scopeGroup.scope
                writer.raw("{\"scope\":{\"name\":")
                writer.string(scope.name)
                writer.key("version")
                writer.string(scope.version)
                writer.key("attributes")
                Attribute.writeJSON(scope.attributes, to: &writer)
                writer.key("droppedAttributesCount")
                writer.number(scope.droppedAttributesCount)
                writer.raw("},\"schemaUrl\":")
                writer.string(scope.schemaURL)
                writer.raw(",\"spans\":[")
                for (spanIndex, span) in scopeGroup.spans.enumerated() {
                    if spanIndex > 0 { writer.byte(UInt8(ascii: ",")) }
                    span.writeJSON(to: &writer)
                }
                writer.raw("]}")
            }
            writer.raw("]}")
        }
        writer.raw("]}")
        return writer.bytes
    }
}

extension Span {
    fileprivate func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"traceId\":")
        writer.string(traceID.hex)
        writer.key("spanId")
        writer.string(spanID.hex)
        writer.key("parentSpanId")
        writer.string(parentSpanID?.hex ?? "")
        writer.key("traceState")
        writer.string(traceState)
        writer.key("flags")
        writer.number(flags)
        writer.key("name")
        writer.string(name)
        writer.key("kind")
        writer.number(kind.rawValue)
        writer.key("startTimeUnixNano")
        writer.quoted(startTimeUnixNano)
        writer.key("endTimeUnixNano")
        writer.quoted(endTimeUnixNano)
        writer.key("attributes")
        Attribute.writeJSON(attributes, to: &writer)
        writer.key("droppedAttributesCount")
        writer.number(droppedAttributesCount)
        writer.key("events")
        SpanEvent.writeJSON(events, to: &writer)
        writer.key("droppedEventsCount")
        writer.number(droppedEventsCount)
        writer.raw(",\"links\":[")
        for (index, link) in links.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"traceId\":")
            writer.string(link.traceID.hex)
            writer.key("spanId")
            writer.string(link.spanID.hex)
            writer.key("traceState")
            writer.string(link.traceState)
            writer.key("attributes")
            Attribute.writeJSON(link.attributes, to: &writer)
            writer.key("droppedAttributesCount")
            writer.number(link.droppedAttributesCount)
            writer.key("flags")
            writer.number(link.flags)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
        writer.key("droppedLinksCount")
        writer.number(droppedLinksCount)
        writer.raw(",\"status\":{\"message\":")
        writer.string(status.message)
        writer.key("code")
        writer.number(status.code.rawValue)
        writer.raw("}}")
    }
}
