/// A value in parsed JSON was not what OTLP JSON allows there.
public struct JSONShapeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Typed reads out of a JSON object with OTLP JSON's rules: 64-bit integers may be strings
/// or numbers, absent and null fields take their zero value, unknown fields are ignored.
public struct JSONObjectReader {
    public let members: [String: JSONValue]
    /// Where this object sits, for error messages (`resourceSpans[0].scopeSpans[2].spans[5]`).
    public let path: String

    public init(_ value: JSONValue, path: String) throws(JSONShapeError) {
        guard case .object(let members) = value else { throw JSONShapeError("\(path) must be a JSON object") }
        self.members = members
        self.path = path
    }

    public subscript(key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { self[key] != nil }

    public func string(_ key: String) throws(JSONShapeError) -> String {
        switch self[key] {
        case nil: return ""
        case .string(let value): return value
        default: throw JSONShapeError("\(path).\(key) must be a string")
        }
    }

    public func bool(_ key: String) throws(JSONShapeError) -> Bool {
        switch self[key] {
        case nil: return false
        case .bool(let value): return value
        default: throw JSONShapeError("\(path).\(key) must be true or false")
        }
    }

    public func int64(_ key: String) throws(JSONShapeError) -> Int64 {
        switch self[key] {
        case nil: return 0
        case .string(let text), .number(let text):
            if let value = Int64(text) { return value }
            if let double = Double(text), let value = Int64(exactly: double) { return value }
        default: break
        }
        throw JSONShapeError("\(path).\(key) must be a 64-bit integer (a number or a decimal string)")
    }

    public func uint64(_ key: String) throws(JSONShapeError) -> UInt64 {
        switch self[key] {
        case nil: return 0
        case .string(let text), .number(let text):
            if let value = UInt64(text) { return value }
            if let double = Double(text), let value = UInt64(exactly: double) { return value }
        default: break
        }
        throw JSONShapeError("\(path).\(key) must be an unsigned 64-bit integer (a number or a decimal string)")
    }

    public func uint32(_ key: String) throws(JSONShapeError) -> UInt32 {
        guard let value = UInt32(exactly: try uint64(key)) else {
            throw JSONShapeError("\(path).\(key) must fit in 32 bits")
        }
        return value
    }

    public func int32(_ key: String) throws(JSONShapeError) -> Int32 {
        guard let value = Int32(exactly: try int64(key)) else {
            throw JSONShapeError("\(path).\(key) must fit in 32 bits")
        }
        return value
    }

    public func double(_ key: String) throws(JSONShapeError) -> Double {
        switch self[key] {
        case nil: return 0
        case .number(let text): if let value = Double(text) { return value }
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let text): if let value = Double(text) { return value }
        default: break
        }
        throw JSONShapeError("\(path).\(key) must be a number")
    }

    /// The elements of an array field; absent is empty.
    public func array(_ key: String) throws(JSONShapeError) -> [JSONValue] {
        switch self[key] {
        case nil: return []
        case .array(let elements): return elements
        default: throw JSONShapeError("\(path).\(key) must be an array")
        }
    }

    /// A nested object, or nil when the field is absent.
    public func object(_ key: String) throws(JSONShapeError) -> JSONObjectReader? {
        guard let value = self[key] else { return nil }
        return try JSONObjectReader(value, path: "\(path).\(key)")
    }
}
