import TraceModel

/// A whole workflow in memory: its spans, the parent and link edges between them, the spans
/// they reference that have not arrived, and each span's chosen cause.
public struct WorkflowGraph: SpanLookup, Sendable {
    /// The spans, ordered by start time (then id).
    public let nodes: [CausalNode]
    private let index: [SpanReference: Int]
    /// The spans linking to each span (backlinks), in the order of `nodes`.
    public let linkedBy: [SpanReference: [SpanReference]]

    public init(nodes: some Sequence<CausalNode>) {
        var unique: [SpanReference: CausalNode] = [:]
        for node in nodes { unique[node.reference] = node }
        self.nodes = unique.values.sorted {
            ($0.span.startTimeUnixNano, $0.reference) < ($1.span.startTimeUnixNano, $1.reference)
        }
        index = Dictionary(uniqueKeysWithValues: self.nodes.enumerated().map { ($1.reference, $0) })
        edges = self.nodes.flatMap(Self.edges(of:))
        var linkedBy: [SpanReference: [SpanReference]] = [:]
        for edge in edges where edge.kind == .link { linkedBy[edge.from, default: []].append(edge.to) }
        self.linkedBy = linkedBy
    }

    public func node(_ reference: SpanReference) -> CausalNode? {
        index[reference].map { nodes[$0] }
    }

    /// An edge of the workflow: `from` caused `to` (a parent and its child, or a linked span and the span linking to it).
    public struct Edge: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case parent, link
        }

        public var kind: Kind
        public var from: SpanReference
        public var to: SpanReference
    }

    /// Every parent and link edge, in the order of `nodes`.
    public let edges: [Edge]

    /// A node's parent edge and its link edges (a link repeated on one span counts once).
    static func edges(of node: CausalNode) -> [Edge] {
        var edges: [Edge] = []
        if let parent = node.span.parentSpanID {
            edges.append(Edge(kind: .parent, from: SpanReference(traceID: node.span.traceID, spanID: parent), to: node.reference))
        }
        var seen: Set<SpanReference> = []
        for link in node.span.links where seen.insert(SpanReference(link)).inserted {
            edges.append(Edge(kind: .link, from: SpanReference(link), to: node.reference))
        }
        return edges
    }

    /// Spans referenced (as a parent or a link target) that have not arrived, with the spans
    /// that reference them, sorted.
    public var placeholders: [(reference: SpanReference, referencedBy: [SpanReference])] {
        var missing: [SpanReference: [SpanReference]] = [:]
        for edge in edges where index[edge.from] == nil {
            missing[edge.from, default: []].append(edge.to)
        }
        return missing.keys.sorted().map { ($0, missing[$0] ?? []) }
    }

    /// The chosen cause of the span (see `Cause.of`), or nil for an origin.
    public func cause(of node: CausalNode) -> Cause? {
        // The in-memory lookup never throws.
        (try? Cause.of(node, in: self)) ?? nil
    }
}
