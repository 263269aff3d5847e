/// One step of a causal path.
public struct CausalHop: Hashable, Sendable {
    /// How this hop follows the hop before it on the path (origin first).
    public enum Relation: String, Hashable, Sendable {
        /// The first hop: nothing known caused it.
        case origin
        /// A child of the previous hop, inside one trace.
        case childOf = "child_of"
        /// A trace's root, caused by the previous hop through a span link.
        case linkedFrom = "linked_from"
    }

    public var reference: SpanReference
    /// nil for a placeholder: a span referenced by a parent id or a link that has not arrived.
    public var node: CausalNode?
    public var relation: Relation
    /// For a `linkedFrom` hop whose root links to several spans: the links not followed.
    public var alternatives: [SpanReference]

    public init(reference: SpanReference, node: CausalNode?, relation: Relation, alternatives: [SpanReference] = []) {
        self.reference = reference
        self.node = node
        self.relation = relation
        self.alternatives = alternatives
    }
}
