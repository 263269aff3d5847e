import Foundation

/// Attributes in their OTLP JSON form (`[{"key":…,"value":{"intValue":"5"}}]`): how OTLP/JSON
/// carries them and how Causeway stores them, so every type survives the round trip.
extension Attribute {
    /// Deepest nesting of arrays and maps in one value; deeper input is rejected as bad data.
    public static let maxNestingDepth = 32

    /// Writes a list of attributes as an OTLP JSON `KeyValue` array.
    public static func writeJSON(_ attributes: [Attribute], to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"key\":")
            writer.string(attribute.key)
            writer.raw(",\"value\":")
            attribute.value.writeJSON(to: &writer)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
    }

    /// The OTLP JSON text of a list of attributes.
    public static func jsonText(_ attributes: [Attribute]) -> String {
        var writer = JSONWriter()
        writeJSON(attributes, to: &writer)
        return writer.string
    }

    /// Reads an OTLP JSON `KeyValue` array.
    public static func list(fromJSON value: JSONValue, path: String, depth: Int = 1) throws(JSONShapeError) -> [Attribute] {
        guard case .array(let elements) = value else { throw JSONShapeError("\(path) must be an array") }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let reader = try JSONObjectReader(element, path: "\(path)[\(index)]")
            let value = try reader.object("value").map { reader throws(JSONShapeError) in
                try AttributeValue(json: reader, depth: depth)
            }
            attributes.append(Attribute(try reader.string("key"), value ?? .empty))
        }
        return attributes
    }

    /// Reads the OTLP JSON text of a list of attributes, as stored.
    public static func list(fromJSONText text: String) throws -> [Attribute] {
        try list(fromJSON: try JSONValue.parse(text.utf8), path: "attributes")
    }
}

extension AttributeValue {
    /// Writes this value as an OTLP JSON `AnyValue` object.
    public func writeJSON(to writer: inout JSONWriter) {
        switch self {
        case .string(let value):
            writer.raw("{\"stringValue\":")
            writer.string(value)
        case .bool(let value):
            writer.raw("{\"boolValue\":")
            writer.bool(value)
        case .int(let value):
            writer.raw("{\"intValue\":")
            writer.quoted(value)
        case .double(let value):
            writer.raw("{\"doubleValue\":")
            writer.number(value)
        case .bytes(let value):
            writer.raw("{\"bytesValue\":")
            writer.string(Data(value).base64EncodedString())
        case .array(let values):
            writer.raw("{\"arrayValue\":{\"values\":[")
            for (index, value) in values.enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                value.writeJSON(to: &writer)
            }
            writer.raw("]}")
        case .keyValueList(let attributes):
            writer.raw("{\"kvlistValue\":{\"values\":")
            Attribute.writeJSON(attributes, to: &writer)
            writer.byte(UInt8(ascii: "}"))
        case .empty:
            writer.byte(UInt8(ascii: "{"))
        }
        writer.byte(UInt8(ascii: "}"))
    }

    /// Reads an OTLP JSON `AnyValue` object; `depth` counts the values it sits in, this one included.
    public init(json reader: JSONObjectReader, depth: Int) throws(JSONShapeError) {
        guard depth <= Attribute.maxNestingDepth else {
            throw JSONShapeError("\(reader.path): attribute values nest deeper than \(Attribute.maxNestingDepth) levels")
        }
        if reader.has("stringValue") {
            self = .string(try reader.string("stringValue"))
        } else if reader.has("boolValue") {
            self = .bool(try reader.bool("boolValue"))
        } else if reader.has("intValue") {
            self = .int(try reader.int64("intValue"))
        } else if reader.has("doubleValue") {
            self = .double(try reader.double("doubleValue"))
        } else if reader.has("bytesValue") {
            guard let data = Data(base64Encoded: try reader.string("bytesValue")) else {
                throw JSONShapeError("\(reader.path).bytesValue must be base64")
            }
            self = .bytes(Array(data))
        } else if let array = try reader.object("arrayValue") {
            var values: [AttributeValue] = []
            for (index, element) in try array.array("values").enumerated() {
                let elementReader = try JSONObjectReader(element, path: "\(array.path).values[\(index)]")
                values.append(try AttributeValue(json: elementReader, depth: depth + 1))
            }
            self = .array(values)
        } else if let list = try reader.object("kvlistValue") {
            let values = list["values"] ?? .array([])
            self = .keyValueList(try Attribute.list(fromJSON: values, path: "\(list.path).values", depth: depth + 1))
        } else {
            self = .empty
        }
    }
}
