import TraceModel

/// The per-value and per-trace caps ingest applies before a batch is stored (like Tempo's
/// `max_attribute_bytes` and live-trace limits).
extension TraceBatch {
    /// Cuts string and bytes attribute values longer than `maxBytes` (strings at a character
    /// boundary), on spans, events, links, resources and scopes; returns how many were cut.
    mutating func truncateAttributeValues(maxBytes: Int) -> Int {
        var cut = 0
        for g in resourceGroups.indices {
            resourceGroups[g].resource.attributes.truncateValues(maxBytes: maxBytes, cut: &cut)
            for s in resourceGroups[g].scopeGroups.indices {
                resourceGroups[g].scopeGroups[s].scope.attributes.truncateValues(maxBytes: maxBytes, cut: &cut)
                for i in resourceGroups[g].scopeGroups[s].spans.indices {
                    resourceGroups[g].scopeGroups[s].spans[i].truncateAttributeValues(maxBytes: maxBytes, cut: &cut)
                }
            }
        }
        return cut
    }

    /// Spans per trace in this batch.
    var spansPerTrace: [TraceID: Int] {
        var counts: [TraceID: Int] = [:]
        for group in resourceGroups {
            for scopeGroup in group.scopeGroups {
                for span in scopeGroup.spans { counts[span.traceID, default: 0] += 1 }
            }
        }
        return counts
    }

    /// Removes the spans of `traces`.
    mutating func removeSpans(inTraces traces: Set<TraceID>) {
        guard !traces.isEmpty else { return }
        for g in resourceGroups.indices {
            for s in resourceGroups[g].scopeGroups.indices {
                resourceGroups[g].scopeGroups[s].spans.removeAll { traces.contains($0.traceID) }
            }
        }
    }
}

extension Span {
    mutating func truncateAttributeValues(maxBytes: Int, cut: inout Int) {
        attributes.truncateValues(maxBytes: maxBytes, cut: &cut)
        for e in events.indices { events[e].attributes.truncateValues(maxBytes: maxBytes, cut: &cut) }
        for l in links.indices { links[l].attributes.truncateValues(maxBytes: maxBytes, cut: &cut) }
    }
}

extension [Attribute] {
    mutating func truncateValues(maxBytes: Int, cut: inout Int) {
        for index in indices {
            if let value = self[index].value.truncated(maxBytes: maxBytes, cut: &cut) { self[index].value = value }
        }
    }
}

extension AttributeValue {
    /// This value with every string or bytes over `maxBytes` cut; nil when nothing needed cutting.
    func truncated(maxBytes: Int, cut: inout Int) -> AttributeValue? {
        switch self {
        case .string(let text) where text.utf8.count > maxBytes:
            cut += 1
            let utf8 = Array(text.utf8)
            var end = maxBytes
            while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
            return .string(String(decoding: utf8[..<end], as: UTF8.self))
        case .bytes(let bytes) where bytes.count > maxBytes:
            cut += 1
            return .bytes(Array(bytes[..<maxBytes]))
        case .array(let values):
            var changed = false
            let cutValues = values.map { value -> AttributeValue in
                guard let shorter = value.truncated(maxBytes: maxBytes, cut: &cut) else { return value }
                changed = true
                return shorter
            }
            return changed ? .array(cutValues) : nil
        case .keyValueList(let list):
            var copy = list
            let before = cut
            copy.truncateValues(maxBytes: maxBytes, cut: &cut)
            return cut > before ? .keyValueList(copy) : nil
        default:
            return nil
        }
    }
}
