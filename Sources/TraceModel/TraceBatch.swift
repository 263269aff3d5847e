/// The spans of one export request, grouped as OTLP groups them: by resource, then by scope.
public struct TraceBatch: Hashable, Sendable {
    public var resourceGroups: [ResourceGroup]

    public init(resourceGroups: [ResourceGroup] = []) {
        self.resourceGroups = resourceGroups
    }

    /// How many spans the batch holds.
    public var spanCount: Int {
        resourceGroups.reduce(0) { total, group in
            group.scopeGroups.reduce(total) { $0 + $1.spans.count }
        }
    }

    /// Every span in wire order.
    public var spans: [Span] {
        resourceGroups.flatMap { $0.scopeGroups.flatMap(\.spans) }
    }
}

/// The spans one resource (one service instance) reported.
public struct ResourceGroup: Hashable, Sendable {
    public var resource: Resource
    public var scopeGroups: [ScopeGroup]

    public init(resource: Resource = Resource(), scopeGroups: [ScopeGroup] = []) {
        self.resource = resource
        self.scopeGroups = scopeGroups
    }
}

/// The spans one instrumentation scope reported.
public struct ScopeGroup: Hashable, Sendable {
    public var scope: InstrumentationScope
    public var spans: [Span]

    public init(scope: InstrumentationScope = InstrumentationScope(), spans: [Span] = []) {
        self.scope = scope
        self.spans = spans
    }
}

/// The entity that produced spans: its attributes name the service.
public struct Resource: Hashable, Sendable {
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var schemaURL: String

    public init(attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0, schemaURL: String = "") {
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
    }

    /// `service.name`, or empty when the resource does not say.
    public var serviceName: String {
        attributes["service.name"]?.stringValue ?? ""
    }
}

/// The instrumentation library that recorded spans.
public struct InstrumentationScope: Hashable, Sendable {
    public var name: String
    public var version: String
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var schemaURL: String

    public init(
        name: String = "",
        version: String = "",
        attributes: [Attribute] = [],
        droppedAttributesCount: UInt32 = 0,
        schemaURL: String = ""
    ) {
        self.name = name
        self.version = version
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
    }
}
