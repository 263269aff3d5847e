/// The value of an OTLP attribute (`AnyValue`); arrays and maps nest.
public indirect enum AttributeValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([AttributeValue])
    case keyValueList([Attribute])
    /// An `AnyValue` with no value set.
    case empty

    /// The string form used to match attributes against conventions (`"true"`, `"42"`).
    public var stringValue: String? {
        switch self {
        case .string(let value): value
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): String(value)
        default: nil
        }
    }
}

/// One key/value pair of an attribute list. Lists keep wire order and duplicates.
public struct Attribute: Hashable, Sendable {
    public var key: String
    public var value: AttributeValue

    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == Attribute {
    /// The value of the first attribute with this key.
    public subscript(key: String) -> AttributeValue? {
        first { $0.key == key }?.value
    }
}
