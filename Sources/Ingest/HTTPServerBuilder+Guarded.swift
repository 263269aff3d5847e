import HummingbirdCore

extension HTTPServerBuilder {
    /// HTTP/1 with Causeway's connection rules (`GuardedHTTP1Channel`).
    public static func guarded(_ limits: ConnectionLimits) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}
