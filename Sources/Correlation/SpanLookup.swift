/// Where causal paths read spans from: the store, or a workflow already in memory.
public protocol SpanLookup {
    /// The span named by `reference` with its links, or nil when it has not arrived.
    func node(_ reference: SpanReference) throws -> CausalNode?
}
