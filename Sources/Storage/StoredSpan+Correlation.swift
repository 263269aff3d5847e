import Correlation

extension StoredSpan {
    /// The span as correlation and detection see it.
    public var causalNode: CausalNode { CausalNode(span: span, service: resource.serviceName) }
}
