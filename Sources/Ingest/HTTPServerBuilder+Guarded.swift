import HummingbirdCore
import HummingbirdTLS
import NIOSSL

extension HTTPServerBuilder {
    /// HTTP/1 with Causeway's connection rules (`GuardedHTTP1Channel`), over TLS when given.
    public static func guarded(_ limits: ConnectionLimits, tls: TLSConfiguration? = nil) -> HTTPServerBuilder {
        .init { responder in
            let channel = GuardedHTTP1Channel(responder: responder, limits: limits)
            guard let tls else { return channel }
            return try TLSChannel(channel, tlsConfiguration: tls)
        }
    }
}
