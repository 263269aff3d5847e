/// Walks an `ExportTraceServiceRequest` on the wire, before protobuf-c sees it, and refuses
/// attribute values nested deeper than `Attribute.maxNestingDepth`: protobuf-c recurses
/// without a limit, so a deep body would otherwise exhaust the stack.
struct ProtobufNestingCheck {
    /// The messages on the paths that lead to `AnyValue`, and the fields that lead on.
    enum Message {
        case request, resourceSpans, resource, scopeSpans, scope, span, event, link
        case keyValue, anyValue, arrayValue, keyValueList

        func child(field: UInt64) -> Message? {
            switch (self, field) {
            case (.request, 1): .resourceSpans
            case (.resourceSpans, 1): .resource
            case (.resourceSpans, 2): .scopeSpans
            case (.resource, 1): .keyValue
            case (.scopeSpans, 1): .scope
            case (.scopeSpans, 2): .span
            case (.scope, 3): .keyValue
            case (.span, 9): .keyValue
            case (.span, 11): .event
            case (.span, 13): .link
            case (.event, 3): .keyValue
            case (.link, 4): .keyValue
            case (.keyValue, 2): .anyValue
            case (.anyValue, 5): .arrayValue
            case (.anyValue, 6): .keyValueList
            case (.arrayValue, 1): .anyValue
            case (.keyValueList, 1): .keyValue
            default: nil
            }
        }
    }

    let maxDepth: Int

    /// Throws when the nesting is too deep or the framing is broken.
    func check(_ bytes: UnsafeRawBufferPointer) throws(OTLPDecodingError) {
        try walk(bytes, as: .request, depth: 0)
    }

    private func walk(_ bytes: UnsafeRawBufferPointer, as message: Message, depth: Int) throws(OTLPDecodingError) {
        var position = 0
        while position < bytes.count {
            let key = try readVarint(bytes, &position)
            let field = key >> 3
            switch key & 7 {
            case 0:
                _ = try readVarint(bytes, &position)
            case 1:
                position += 8
            case 5:
                position += 4
            case 2:
                let length = try readVarint(bytes, &position)
                guard length <= UInt64(bytes.count - position) else {
                    throw OTLPDecodingError("invalid protobuf: a length-delimited field runs past the end of the body")
                }
                let end = position + Int(length)
                if let child = message.child(field: field) {
                    let childDepth = child == .anyValue ? depth + 1 : depth
                    guard childDepth <= maxDepth else {
                        throw OTLPDecodingError("attribute values nest deeper than \(maxDepth) levels")
                    }
                    try walk(UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: child, depth: childDepth)
                }
                position = end
            default:
                throw OTLPDecodingError("invalid protobuf: unsupported wire type \(key & 7) for field \(field)")
            }
            guard position <= bytes.count else {
                throw OTLPDecodingError("invalid protobuf: a fixed-width field runs past the end of the body")
            }
        }
    }

    private func readVarint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws(OTLPDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw OTLPDecodingError("invalid protobuf: truncated or overlong varint")
    }
}
