/// Events in their OTLP JSON form, as OTLP/JSON carries them and as Causeway stores them.
extension SpanEvent {
    /// Writes a list of events as an OTLP JSON `Event` array.
    public static func writeJSON(_ events: [SpanEvent], to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        for (index, event) in events.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.byte(UInt8(ascii: "{"))
            writer.key("timeUnixNano", first: true)
            writer.quoted(event.timeUnixNano)
            writer.key("name")
            writer.string(event.name)
            writer.key("attributes")
            Attribute.writeJSON(event.attributes, to: &writer)
            writer.key("droppedAttributesCount")
            writer.number(event.droppedAttributesCount)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
    }

    /// Reads one OTLP JSON `Event` object.
    public init(json reader: JSONObjectReader) throws(JSONShapeError) {
        self.init(
            timeUnixNano: try reader.uint64("timeUnixNano"),
            name: try reader.string("name"),
            attributes: try reader["attributes"].map { value throws(JSONShapeError) in
                try Attribute.list(fromJSON: value, path: "\(reader.path).attributes")
            } ?? [],
            droppedAttributesCount: try reader.uint32("droppedAttributesCount")
        )
    }

    /// Reads the OTLP JSON text of a list of events, as stored.
    public static func list(fromJSONText text: String) throws -> [SpanEvent] {
        guard case .array(let elements) = try JSONValue.parse(text.utf8) else {
            throw JSONShapeError("events must be an array")
        }
        return try elements.enumerated().map { index, element in
            try SpanEvent(json: JSONObjectReader(element, path: "events[\(index)]"))
        }
    }
}
