import TraceModel

/// OTLP/JSON (`application/json`) → TraceModel: hex ids in either case, integer enums
/// (enum names accepted too), 64-bit integers as strings or numbers, unknown fields ignored.
public enum OTLPJSON {
    /// Decodes an `ExportTraceServiceRequest` in OTLP JSON.
    public static func decodeExportRequest(_ bytes: some Collection<UInt8>) throws(OTLPDecodingError) -> DecodedExport {
        let document: JSONValue
        var repaired = 0
        do {
            document = try JSONValue.parse(bytes, maxDepth: 4 * Attribute.maxNestingDepth + 16, repairedStrings: &repaired)
        } catch {
            throw OTLPDecodingError(error.description)
        }
        do {
            var result = DecodedExport(repairedStrings: repaired)
            let request = try JSONObjectReader(document, path: "request")
            var groups: [ResourceGroup] = []
            for (index, element) in try request.array("resourceSpans").enumerated() {
                let reader = try JSONObjectReader(element, path: "resourceSpans[\(index)]")
                groups.append(try resourceGroup(reader, result: &result))
            }
            result.batch = TraceBatch(resourceGroups: groups)
            return result
        } catch {
            throw OTLPDecodingError(error.message)
        }
    }

    /// Encodes an `ExportTraceServiceResponse` in OTLP JSON.
    public static func encode(_ response: ExportResponse) -> [UInt8] {
        guard response.rejectedSpans != 0 || !response.errorMessage.isEmpty else { return Array("{}".utf8) }
        var writer = JSONWriter()
        writer.raw("{\"partialSuccess\":{\"rejectedSpans\":")
        writer.quoted(response.rejectedSpans)
        writer.raw(",\"errorMessage\":")
        writer.string(response.errorMessage)
        writer.raw("}}")
        return writer.bytes
    }

    /// Decodes an `ExportTraceServiceResponse` in OTLP JSON.
    public static func decodeExportResponse(_ bytes: some Collection<UInt8>) throws -> ExportResponse {
        let response = try JSONObjectReader(try JSONValue.parse(bytes), path: "response")
        guard let partial = try response.object("partialSuccess") else { return ExportResponse() }
        return ExportResponse(rejectedSpans: try partial.int64("rejectedSpans"), errorMessage: try partial.string("errorMessage"))
    }

    private static func resourceGroup(_ reader: JSONObjectReader, result: inout DecodedExport) throws(JSONShapeError) -> ResourceGroup {
        var resource = Resource(schemaURL: try reader.string("schemaUrl"))
        if let resourceReader = try reader.object("resource") {
            resource.attributes = try attributes(resourceReader)
            resource.droppedAttributesCount = try resourceReader.uint32("droppedAttributesCount")
        }
        var scopeGroups: [ScopeGroup] = []
        for (index, element) in try reader.array("scopeSpans").enumerated() {
            let scopeReader = try JSONObjectReader(element, path: "\(reader.path).scopeSpans[\(index)]")
            scopeGroups.append(try scopeGroup(scopeReader, result: &result))
        }
        return ResourceGroup(resource: resource, scopeGroups: scopeGroups)
    }

    private static func scopeGroup(_ reader: JSONObjectReader, result: inout DecodedExport) throws(JSONShapeError) -> ScopeGroup {
        var scope = InstrumentationScope(schemaURL: try reader.string("schemaUrl"))
        if let scopeReader = try reader.object("scope") {
            scope.name = try scopeReader.string("name")
            scope.version = try scopeReader.string("version")
            scope.attributes = try attributes(scopeReader)
            scope.droppedAttributesCount = try scopeReader.uint32("droppedAttributesCount")
        }
        var spans: [Span] = []
        for (index, element) in try reader.array("spans").enumerated() {
            let spanReader = try JSONObjectReader(element, path: "\(reader.path).spans[\(index)]")
            do {
                spans.append(try span(spanReader))
            } catch let rejection as SpanRejection {
                result.reject(rejection.reason)
            } catch let error as JSONShapeError {
                throw error
            } catch {
                throw JSONShapeError("\(spanReader.path): \(error)")
            }
        }
        return ScopeGroup(scope: scope, spans: spans)
    }

    private static func span(_ reader: JSONObjectReader) throws -> Span {
        let traceIDText = try reader.string("traceId")
        let spanIDText = try reader.string("spanId")
        let parentText = try reader.string("parentSpanId")
        var links: [SpanLink] = []
        for (index, element) in try reader.array("links").enumerated() {
            let linkReader = try JSONObjectReader(element, path: "\(reader.path).links[\(index)]")
            let linkTrace = try linkReader.string("traceId")
            let linkSpan = try linkReader.string("spanId")
            links.append(SpanLink(
                traceID: try SpanValidation.traceID(
                    TraceID(hex: linkTrace), field: "links[\(index)].traceId", malformed: "must be 32 hex digits, got \"\(linkTrace)\""
                ),
                spanID: try SpanValidation.spanID(
                    SpanID(hex: linkSpan), field: "links[\(index)].spanId", malformed: "must be 16 hex digits, got \"\(linkSpan)\""
                ),
                traceState: try linkReader.string("traceState"),
                attributes: try attributes(linkReader),
                droppedAttributesCount: try linkReader.uint32("droppedAttributesCount"),
                flags: try linkReader.uint32("flags")
            ))
        }
        var events: [SpanEvent] = []
        for (index, element) in try reader.array("events").enumerated() {
            events.append(try SpanEvent(json: JSONObjectReader(element, path: "\(reader.path).events[\(index)]")))
        }
        var status = SpanStatus()
        if let statusReader = try reader.object("status") {
            status.message = try statusReader.string("message")
            status.code = SpanStatus.Code(rawValue: try enumValue(statusReader, "code", names: [
                "STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
            ])) ?? .unset
        }
        return Span(
            traceID: try SpanValidation.traceID(
                TraceID(hex: traceIDText), field: "traceId", malformed: "must be 32 hex digits, got \"\(traceIDText)\""
            ),
            spanID: try SpanValidation.spanID(
                SpanID(hex: spanIDText), field: "spanId", malformed: "must be 16 hex digits, got \"\(spanIDText)\""
            ),
            parentSpanID: try SpanValidation.parentSpanID(
                SpanID(hex: parentText), isAbsent: parentText.isEmpty, malformed: "must be 16 hex digits or empty, got \"\(parentText)\""
            ),
            traceState: try reader.string("traceState"),
            flags: try reader.uint32("flags"),
            name: try reader.string("name"),
            kind: SpanKind(rawValue: try enumValue(reader, "kind", names: [
                "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
                "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
            ])) ?? .unspecified,
            startTimeUnixNano: try reader.uint64("startTimeUnixNano"),
            endTimeUnixNano: try reader.uint64("endTimeUnixNano"),
            attributes: try attributes(reader),
            droppedAttributesCount: try reader.uint32("droppedAttributesCount"),
            events: events,
            droppedEventsCount: try reader.uint32("droppedEventsCount"),
            links: links,
            droppedLinksCount: try reader.uint32("droppedLinksCount"),
            status: status
        )
    }

    private static func attributes(_ reader: JSONObjectReader) throws(JSONShapeError) -> [Attribute] {
        guard let value = reader["attributes"] else { return [] }
        return try Attribute.list(fromJSON: value, path: "\(reader.path).attributes")
    }

    /// An enum field: the integer OTLP JSON requires, or the enum value's name.
    private static func enumValue(_ reader: JSONObjectReader, _ key: String, names: [String: Int32]) throws(JSONShapeError) -> Int32 {
        if case .string(let name) = reader[key], let value = names[name] { return value }
        return try reader.int32(key)
    }
}

extension OTLPJSON {
    /// A `google.rpc.Status`: the body of an OTLP/HTTP error response in JSON.
    public static func encodeStatus(code: Int32, message: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"code\":")
        writer.number(code)
        writer.key("message")
        writer.string(message)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}
