import COTLP
import TraceModel

typealias PBRequest = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
typealias PBResourceSpans = Opentelemetry__Proto__Trace__V1__ResourceSpans
typealias PBScopeSpans = Opentelemetry__Proto__Trace__V1__ScopeSpans
typealias PBSpan = Opentelemetry__Proto__Trace__V1__Span
typealias PBKeyValue = Opentelemetry__Proto__Common__V1__KeyValue
typealias PBAnyValue = Opentelemetry__Proto__Common__V1__AnyValue

/// OTLP protobuf (`application/x-protobuf`, gRPC) → TraceModel, through libprotobuf-c.
public enum OTLPProtobuf {
    /// Decodes an `ExportTraceServiceRequest`. Throws for a body that is not one;
    /// spans with bad ids are refused one by one and counted in the result.
    public static func decodeExportRequest(_ bytes: UnsafeRawBufferPointer) throws(OTLPDecodingError) -> DecodedExport {
        try ProtobufNestingCheck(maxDepth: Attribute.maxNestingDepth).check(bytes)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return DecodedExport() }
        let arena = ProtobufArena(expectedBytes: bytes.count)
        return try arena.withAllocator { allocator throws(OTLPDecodingError) in
            guard let request = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                allocator, bytes.count, base
            ) else {
                throw OTLPDecodingError("invalid protobuf: the body is not an ExportTraceServiceRequest")
            }
            var converter = ProtobufConverter()
            return converter.convert(request.pointee)
        }
    }

    /// Decodes a request held in an array.
    public static func decodeExportRequest(_ bytes: [UInt8]) throws(OTLPDecodingError) -> DecodedExport {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(OTLPDecodingError) in try decodeExportRequest(buffer) }
        }.get()
    }

    /// Encodes an `ExportTraceServiceResponse`.
    public static func encode(_ response: ExportResponse) -> [UInt8] {
        var writer = ProtobufWriter()
        if response.rejectedSpans != 0 || !response.errorMessage.isEmpty {
            writer.message(field: 1) { partial in
                partial.varint(field: 1, UInt64(bitPattern: response.rejectedSpans))
                partial.bytes(field: 2, Array(response.errorMessage.utf8))
            }
        }
        return writer.bytes
    }

    /// Decodes an `ExportTraceServiceResponse` (what exporters read; the tests use it too).
    public static func decodeExportResponse(_ bytes: [UInt8]) throws(OTLPDecodingError) -> ExportResponse {
        let decoded: ExportResponse? = bytes.withUnsafeBufferPointer { buffer in
            guard let message = opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
                nil, buffer.count, buffer.baseAddress
            ) else { return nil }
            defer { opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(message, nil) }
            guard let partial = message.pointee.partial_success else { return ExportResponse() }
            var converter = ProtobufConverter()
            return ExportResponse(
                rejectedSpans: partial.pointee.rejected_spans,
                errorMessage: converter.string(partial.pointee.error_message)
            )
        }
        guard let decoded else { throw OTLPDecodingError("invalid protobuf: not an ExportTraceServiceResponse") }
        return decoded
    }
}

/// Copies unpacked protobuf-c messages into TraceModel values, repairing invalid UTF-8.
struct ProtobufConverter {
    var result = DecodedExport()

    mutating func convert(_ request: PBRequest) -> DecodedExport {
        var groups: [ResourceGroup] = []
        groups.reserveCapacity(request.n_resource_spans)
        for index in 0..<request.n_resource_spans {
            guard let resourceSpans = request.resource_spans[index]?.pointee else { continue }
            groups.append(resourceGroup(resourceSpans))
        }
        result.batch = TraceBatch(resourceGroups: groups)
        return result
    }

    private mutating func resourceGroup(_ message: PBResourceSpans) -> ResourceGroup {
        var resource = Resource(schemaURL: string(message.schema_url))
        if let pbResource = message.resource?.pointee {
            resource.attributes = attributes(pbResource.attributes, count: pbResource.n_attributes)
            resource.droppedAttributesCount = pbResource.dropped_attributes_count
        }
        var scopeGroups: [ScopeGroup] = []
        scopeGroups.reserveCapacity(message.n_scope_spans)
        for index in 0..<message.n_scope_spans {
            guard let scopeSpans = message.scope_spans[index]?.pointee else { continue }
            scopeGroups.append(scopeGroup(scopeSpans))
        }
        return ResourceGroup(resource: resource, scopeGroups: scopeGroups)
    }

    private mutating func scopeGroup(_ message: PBScopeSpans) -> ScopeGroup {
        var scope = InstrumentationScope(schemaURL: string(message.schema_url))
        if let pbScope = message.scope?.pointee {
            scope.name = string(pbScope.name)
            scope.version = string(pbScope.version)
            scope.attributes = attributes(pbScope.attributes, count: pbScope.n_attributes)
            scope.droppedAttributesCount = pbScope.dropped_attributes_count
        }
        var spans: [Span] = []
        spans.reserveCapacity(message.n_spans)
        for index in 0..<message.n_spans {
            guard let pbSpan = message.spans[index]?.pointee else { continue }
            do {
                spans.append(try span(pbSpan))
            } catch {
                result.reject(error.reason)
            }
        }
        return ScopeGroup(scope: scope, spans: spans)
    }

    private mutating func span(_ message: PBSpan) throws(SpanRejection) -> Span {
        let traceID = try SpanValidation.traceID(
            Self.traceID(message.trace_id), field: "trace_id", malformed: "must be 16 bytes, got \(message.trace_id.len)"
        )
        let spanID = try SpanValidation.spanID(
            Self.spanID(message.span_id), field: "span_id", malformed: "must be 8 bytes, got \(message.span_id.len)"
        )
        let parent = try SpanValidation.parentSpanID(
            Self.spanID(message.parent_span_id),
            isAbsent: message.parent_span_id.len == 0,
            malformed: "must be 8 bytes or empty, got \(message.parent_span_id.len)"
        )
        var links: [SpanLink] = []
        links.reserveCapacity(message.n_links)
        for index in 0..<message.n_links {
            guard let link = message.links[index]?.pointee else { continue }
            links.append(SpanLink(
                traceID: try SpanValidation.traceID(
                    Self.traceID(link.trace_id), field: "links[\(index)].trace_id",
                    malformed: "must be 16 bytes, got \(link.trace_id.len)"
                ),
                spanID: try SpanValidation.spanID(
                    Self.spanID(link.span_id), field: "links[\(index)].span_id",
                    malformed: "must be 8 bytes, got \(link.span_id.len)"
                ),
                traceState: string(link.trace_state),
                attributes: attributes(link.attributes, count: link.n_attributes),
                droppedAttributesCount: link.dropped_attributes_count,
                flags: link.flags
            ))
        }
        var events: [SpanEvent] = []
        events.reserveCapacity(message.n_events)
        for index in 0..<message.n_events {
            guard let event = message.events[index]?.pointee else { continue }
            events.append(SpanEvent(
                timeUnixNano: event.time_unix_nano,
                name: string(event.name),
                attributes: attributes(event.attributes, count: event.n_attributes),
                droppedAttributesCount: event.dropped_attributes_count
            ))
        }
        var status = SpanStatus()
        if let pbStatus = message.status?.pointee {
            status = SpanStatus(code: SpanStatus.Code(rawValue: Int32(bitPattern: pbStatus.code.rawValue)) ?? .unset,
                                message: string(pbStatus.message))
        }
        return Span(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: parent,
            traceState: string(message.trace_state),
            flags: message.flags,
            name: string(message.name),
            kind: SpanKind(rawValue: Int32(bitPattern: message.kind.rawValue)) ?? .unspecified,
            startTimeUnixNano: message.start_time_unix_nano,
            endTimeUnixNano: message.end_time_unix_nano,
            attributes: attributes(message.attributes, count: message.n_attributes),
            droppedAttributesCount: message.dropped_attributes_count,
            events: events,
            droppedEventsCount: message.dropped_events_count,
            links: links,
            droppedLinksCount: message.dropped_links_count,
            status: status
        )
    }

    private mutating func attributes(_ list: UnsafeMutablePointer<UnsafeMutablePointer<PBKeyValue>?>?, count: Int) -> [Attribute] {
        guard let list, count > 0 else { return [] }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(count)
        for index in 0..<count {
            guard let keyValue = list[index]?.pointee else { continue }
            attributes.append(Attribute(string(keyValue.key), keyValue.value.map { value(of: $0.pointee) } ?? .empty))
        }
        return attributes
    }

    private mutating func value(of message: PBAnyValue) -> AttributeValue {
        switch message.value_case {
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
            return .string(string(message.string_value))
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
            return .bool(message.bool_value != 0)
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
            return .int(message.int_value)
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
            return .double(message.double_value)
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
            let data = message.bytes_value
            return .bytes(data.len == 0 ? [] : Array(UnsafeBufferPointer(start: data.data, count: data.len)))
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
            guard let array = message.array_value?.pointee, array.n_values > 0 else { return .array([]) }
            var values: [AttributeValue] = []
            values.reserveCapacity(array.n_values)
            for index in 0..<array.n_values {
                values.append(array.values[index].map { value(of: $0.pointee) } ?? .empty)
            }
            return .array(values)
        case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
            guard let list = message.kvlist_value?.pointee else { return .keyValueList([]) }
            return .keyValueList(attributes(list.values, count: list.n_values))
        default:
            return .empty
        }
    }

    /// A `string` field declared `bytes`: the whole value, with invalid UTF-8 repaired and counted.
    mutating func string(_ data: ProtobufCBinaryData) -> String {
        guard data.len > 0, let pointer = data.data else { return "" }
        let buffer = UnsafeBufferPointer(start: pointer, count: data.len)
        if let valid = String(validating: buffer, as: UTF8.self) { return valid }
        result.repairedStrings += 1
        return String(decoding: buffer, as: UTF8.self)
    }

    static func traceID(_ data: ProtobufCBinaryData) -> TraceID? {
        guard data.len == 16, let pointer = data.data else { return nil }
        return TraceID(bytes: UnsafeRawBufferPointer(start: pointer, count: 16))
    }

    static func spanID(_ data: ProtobufCBinaryData) -> SpanID? {
        guard data.len == 8, let pointer = data.data else { return nil }
        return SpanID(bytes: UnsafeRawBufferPointer(start: pointer, count: 8))
    }
}

extension OTLPProtobuf {
    /// A `google.rpc.Status`: the body of an OTLP/HTTP error response in protobuf.
    public static func encodeStatus(code: Int32, message: String) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.varint(field: 1, UInt64(bitPattern: Int64(code)))
        writer.string(field: 2, message)
        return writer.bytes
    }
}
