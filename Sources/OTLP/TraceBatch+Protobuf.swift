import TraceModel

/// TraceModel → OTLP protobuf: what exporters send. Tests and the benchmark build bodies with it.
extension TraceBatch {
    /// This batch as an `ExportTraceServiceRequest`.
    public func protobufExportRequest() -> [UInt8] {
        var writer = ProtobufWriter()
        for group in resourceGroups {
            writer.message(field: 1) { group.write(to: &$0) }
        }
        return writer.bytes
    }
}

extension ResourceGroup {
    fileprivate func write(to writer: inout ProtobufWriter) {
        writer.message(field: 1) { resourceWriter in
            Attribute.write(resource.attributes, field: 1, to: &resourceWriter)
            resourceWriter.varint(field: 2, UInt64(resource.droppedAttributesCount))
        }
        for scopeGroup in scopeGroups {
            writer.message(field: 2) { scopeGroup.write(to: &$0) }
        }
        writer.string(field: 3, resource.schemaURL)
    }
}

extension ScopeGroup {
    fileprivate func write(to writer: inout ProtobufWriter) {
        writer.message(field: 1) { scopeWriter in
            scopeWriter.string(field: 1, scope.name)
            scopeWriter.string(field: 2, scope.version)
            Attribute.write(scope.attributes, field: 3, to: &scopeWriter)
            scopeWriter.varint(field: 4, UInt64(scope.droppedAttributesCount))
        }
        for span in spans {
            writer.message(field: 2) { span.write(to: &$0) }
        }
        writer.string(field: 3, scope.schemaURL)
    }
}

extension Span {
    fileprivate func write(to writer: inout ProtobufWriter) {
        writer.bytes(field: 1, traceID.bytes)
        writer.bytes(field: 2, spanID.bytes)
        writer.string(field: 3, traceState)
        writer.bytes(field: 4, parentSpanID?.bytes ?? [])
        writer.string(field: 5, name)
        writer.varint(field: 6, UInt64(kind.rawValue))
        writer.fixed64(field: 7, startTimeUnixNano)
        writer.fixed64(field: 8, endTimeUnixNano)
        Attribute.write(attributes, field: 9, to: &writer)
        writer.varint(field: 10, UInt64(droppedAttributesCount))
        for event in events {
            writer.message(field: 11) { eventWriter in
                eventWriter.fixed64(field: 1, event.timeUnixNano)
                eventWriter.string(field: 2, event.name)
                Attribute.write(event.attributes, field: 3, to: &eventWriter)
                eventWriter.varint(field: 4, UInt64(event.droppedAttributesCount))
            }
        }
        writer.varint(field: 12, UInt64(droppedEventsCount))
        for link in links {
            writer.message(field: 13) { linkWriter in
                linkWriter.bytes(field: 1, link.traceID.bytes)
                linkWriter.bytes(field: 2, link.spanID.bytes)
                linkWriter.string(field: 3, link.traceState)
                Attribute.write(link.attributes, field: 4, to: &linkWriter)
                linkWriter.varint(field: 5, UInt64(link.droppedAttributesCount))
                linkWriter.fixed32(field: 6, link.flags)
            }
        }
        writer.varint(field: 14, UInt64(droppedLinksCount))
        if status != SpanStatus() {
            writer.message(field: 15) { statusWriter in
                statusWriter.string(field: 2, status.message)
                statusWriter.varint(field: 3, UInt64(status.code.rawValue))
            }
        }
        writer.fixed32(field: 16, flags)
    }
}

extension Attribute {
    fileprivate static func write(_ attributes: [Attribute], field: Int, to writer: inout ProtobufWriter) {
        for attribute in attributes {
            writer.message(field: field) { keyValue in
                keyValue.string(field: 1, attribute.key)
                keyValue.message(field: 2) { attribute.value.write(to: &$0) }
            }
        }
    }
}

extension AttributeValue {
    fileprivate func write(to writer: inout ProtobufWriter) {
        switch self {
        case .string(let value): writer.string(field: 1, value, always: true)
        case .bool(let value): writer.varint(field: 2, value ? 1 : 0, always: true)
        case .int(let value): writer.varint(field: 3, UInt64(bitPattern: value), always: true)
        case .double(let value): writer.fixed64(field: 4, value.bitPattern, always: true)
        case .array(let values):
            writer.message(field: 5) { array in
                for value in values {
                    array.message(field: 1) { value.write(to: &$0) }
                }
            }
        case .keyValueList(let attributes):
            writer.message(field: 6) { Attribute.write(attributes, field: 1, to: &$0) }
        case .bytes(let value): writer.bytes(field: 7, value, always: true)
        case .empty: break
        }
    }
}
