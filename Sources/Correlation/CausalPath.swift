/// The causal path of a span: from its workflow's origin, through parents inside each trace and
/// links at trace roots, to the span itself.
public struct CausalPath: Hashable, Sendable {
    /// Origin first, the span itself last.
    public var hops: [CausalHop]
    /// The walk stopped because every way back led to a span already on the path (a link cycle
    /// in the data); the first hop is then where the cycle was cut.
    public var cycleCut: Bool

    public init(hops: [CausalHop], cycleCut: Bool) {
        self.hops = hops
        self.cycleCut = cycleCut
    }

    /// The path to `reference`, or nil when that span has not arrived. Each span is visited at
    /// most once, so cycles in parents or links end the walk instead of hanging it.
    public static func to(_ reference: SpanReference, in lookup: some SpanLookup) throws -> CausalPath? {
        guard let target = try lookup.node(reference) else { return nil }
        // Built backwards (span first); each entry's relation says how it follows its cause.
        var reversed: [CausalHop] = []
        var visited: Set<SpanReference> = [reference]
        var current: (reference: SpanReference, node: CausalNode?) = (reference, target)
        var cycleCut = false
        while true {
            guard let node = current.node else {
                reversed.append(CausalHop(reference: current.reference, node: nil, relation: .origin))
                break
            }
            guard let cause = try Cause.of(node, in: lookup, excluding: visited) else {
                // Links were there, but every one led back onto the path (a self link is no cycle).
                cycleCut = node.span.parentSpanID == nil && node.span.links.contains { SpanReference($0) != node.reference }
                reversed.append(CausalHop(reference: current.reference, node: node, relation: .origin))
                break
            }
            let next = cause.reference
            switch cause {
            case .parent:
                reversed.append(CausalHop(reference: current.reference, node: node, relation: .childOf))
            case .link(_, let alternatives):
                reversed.append(CausalHop(
                    reference: current.reference, node: node, relation: .linkedFrom, alternatives: alternatives))
            }
            guard visited.insert(next).inserted else {
                // A parent cycle: the span's parent is already on the path.
                reversed[reversed.count - 1].relation = .origin
                reversed[reversed.count - 1].alternatives = []
                cycleCut = true
                break
            }
            current = (next, try lookup.node(next))
        }
        return CausalPath(hops: reversed.reversed(), cycleCut: cycleCut)
    }
}
