import Foundation
import TraceModel

/// Attributes as the API shows them: a plain JSON object (`{"gen_ai.tool.name": "x", "n": 5}`),
/// as Jaeger, Sentry and Langfuse show them. Bytes are base64; the first of duplicate keys wins.
extension Attribute {
    static func writePlainJSON(_ attributes: [Attribute], to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        var seen = Set<String>()
        for attribute in attributes where seen.insert(attribute.key).inserted {
            if seen.count > 1 { writer.byte(UInt8(ascii: ",")) }
            writer.string(attribute.key)
            writer.byte(UInt8(ascii: ":"))
            attribute.value.writePlainJSON(to: &writer)
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

extension AttributeValue {
    func writePlainJSON(to writer: inout JSONWriter) {
        switch self {
        case .string(let value): writer.string(value)
        case .bool(let value): writer.bool(value)
        case .int(let value): writer.number(value)
        case .double(let value): writer.number(value)
        case .bytes(let value): writer.string(Data(value).base64EncodedString())
        case .array(let values):
            writer.byte(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                value.writePlainJSON(to: &writer)
            }
            writer.byte(UInt8(ascii: "]"))
        case .keyValueList(let attributes): Attribute.writePlainJSON(attributes, to: &writer)
        case .empty: writer.raw("null")
        }
    }
}

extension AttributeValue {
    /// The value as a page shows it: a string as it is, anything else as plain JSON.
    var displayText: String {
        if case .string(let value) = self { return value }
        var writer = JSONWriter()
        writePlainJSON(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
