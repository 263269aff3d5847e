import Detection
import TraceModel

/// A batch turned into column values, ready to bind. Built on the caller's task, so JSON
/// encoding runs in parallel across requests and the single writer only binds and steps.
struct SpanRows: Sendable {
    struct ResourceRow: Hashable, Sendable {
        var serviceName: String
        var attributes: [UInt8]
        var droppedAttributesCount: UInt32
        var schemaURL: String
    }

    struct ScopeRow: Hashable, Sendable {
        var name: String
        var version: String
        var attributes: [UInt8]
        var droppedAttributesCount: UInt32
        var schemaURL: String
    }

    struct LinkRow: Sendable {
        /// The linked trace, for stitching.
        var trace: TraceID
        var traceID: [UInt8]
        var spanID: [UInt8]
        var traceState: String
        var flags: UInt32
        var attributes: [UInt8]
        var droppedAttributesCount: UInt32
    }

    struct SpanRow: Sendable {
        /// The span's trace, for stitching.
        var trace: TraceID
        var traceID: [UInt8]
        var spanID: [UInt8]
        var parentSpanID: [UInt8]?
        var name: String
        var kind: Int32
        var startTimeUnixNano: UInt64
        var endTimeUnixNano: UInt64
        var statusCode: Int32
        var statusMessage: String
        var traceState: String
        var flags: UInt32
        var attributes: [UInt8]
        var droppedAttributesCount: UInt32
        var events: [UInt8]
        var droppedEventsCount: UInt32
        var droppedLinksCount: UInt32
        var resourceIndex: Int
        var scopeIndex: Int
        var links: [LinkRow]
        /// What the detectors count from this span: (detector name, key).
        var facts: [(detector: String, key: String)] = []
        /// The span failed and has a parent: the parent's failure, if any, is a wrapper of this one.
        var failedChild = false
        /// Values of the correlation attributes (`stitch.correlation_attributes`) the span carries.
        var correlations: [(attribute: String, value: String)] = []
    }

    /// Facts of counting patterns (`FactPlan.firstFactsRead`), grouped by trace and key on the
    /// caller's task, so the writer handles a group at once instead of fact by fact.
    struct FactGroup: Sendable {
        var trace: TraceID
        var detector: String
        var key: String
        /// Indexes into `spans`.
        var spans: [Int]
    }

    var resources: [ResourceRow] = []
    var scopes: [ScopeRow] = []
    var spans: [SpanRow] = []
    var factGroups: [FactGroup] = []

    init(_ batch: TraceBatch, plan: FactPlan = .none) {
        spans.reserveCapacity(batch.spanCount)
        var groupIndex: [GroupKey: Int] = [:]
        for group in batch.resourceGroups {
            let resource = group.resource
            resources.append(ResourceRow(
                serviceName: resource.serviceName,
                attributes: Self.json(resource.attributes),
                droppedAttributesCount: resource.droppedAttributesCount,
                schemaURL: resource.schemaURL
            ))
            for scopeGroup in group.scopeGroups {
                let scope = scopeGroup.scope
                scopes.append(ScopeRow(
                    name: scope.name,
                    version: scope.version,
                    attributes: Self.json(scope.attributes),
                    droppedAttributesCount: scope.droppedAttributesCount,
                    schemaURL: scope.schemaURL
                ))
                for span in scopeGroup.spans {
                    var row = SpanRow(span, resourceIndex: resources.count - 1, scopeIndex: scopes.count - 1)
                    for detector in plan.detectors {
                        for key in detector.facts(of: span, service: resource.serviceName) {
                            guard plan.firstFactsRead[detector.name] != nil else {
                                row.facts.append((detector.name, key))
                                continue
                            }
                            let group = GroupKey(trace: span.traceID, detector: detector.name, key: key)
                            if let index = groupIndex[group] {
                                factGroups[index].spans.append(spans.count)
                            } else {
                                groupIndex[group] = factGroups.count
                                factGroups.append(FactGroup(trace: span.traceID, detector: detector.name, key: key, spans: [spans.count]))
                            }
                        }
                    }
                    row.failedChild = span.parentSpanID != nil && row.facts.contains { plan.failureDetectors.contains($0.detector) }
                    for attribute in plan.correlationAttributes {
                        if let value = span.attributes[attribute]?.stringValue, !value.isEmpty { row.correlations.append((attribute, value)) }
                    }
                    spans.append(row)
                }
            }
        }
    }

    private struct GroupKey: Hashable {
        var trace: TraceID
        var detector: String
        var key: String
    }

    static func json(_ attributes: [Attribute]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 * attributes.count + 2)
        Attribute.writeJSON(attributes, to: &writer)
        return writer.bytes
    }
}

extension SpanRows.SpanRow {
    init(_ span: Span, resourceIndex: Int, scopeIndex: Int) {
        var events = JSONWriter(capacity: span.events.isEmpty ? 2 : 256)
        SpanEvent.writeJSON(span.events, to: &events)
        self.init(
            trace: span.traceID,
            traceID: span.traceID.bytes,
            spanID: span.spanID.bytes,
            parentSpanID: span.parentSpanID?.bytes,
            name: span.name,
            kind: span.kind.rawValue,
            startTimeUnixNano: span.startTimeUnixNano,
            endTimeUnixNano: span.endTimeUnixNano,
            statusCode: span.status.code.rawValue,
            statusMessage: span.status.message,
            traceState: span.traceState,
            flags: span.flags,
            attributes: SpanRows.json(span.attributes),
            droppedAttributesCount: span.droppedAttributesCount,
            events: events.bytes,
            droppedEventsCount: span.droppedEventsCount,
            droppedLinksCount: span.droppedLinksCount,
            resourceIndex: resourceIndex,
            scopeIndex: scopeIndex,
            links: span.links.map { link in
                SpanRows.LinkRow(
                    trace: link.traceID,
                    traceID: link.traceID.bytes,
                    spanID: link.spanID.bytes,
                    traceState: link.traceState,
                    flags: link.flags,
                    attributes: SpanRows.json(link.attributes),
                    droppedAttributesCount: link.droppedAttributesCount
                )
            }
        )
    }
}
