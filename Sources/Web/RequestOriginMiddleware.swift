import Foundation
import Hummingbird

/// Refuses what a hostile page could send through a reviewer's browser (DESIGN.md §1): a
/// `Host` that is not this listener's (DNS rebinding) gets 421, and an API write that is not
/// `application/json` (a cross-site form can post text/plain) gets 415.
public struct RequestOriginMiddleware: RouterMiddleware {
    public typealias Context = WebRequestContext

    /// Host names answered for, lowercased, without ports.
    let allowedHosts: Set<String>

    /// The listener's own host, `localhost` and the loopback addresses, and `listen.allowed_hosts`.
    public init(listenerHost: String, allowedHosts: [String]) {
        var hosts: Set<String> = ["localhost", "127.0.0.1", "::1", listenerHost.lowercased()]
        for entry in allowedHosts { hosts.insert(Self.hostName(entry)) }
        self.allowedHosts = hosts
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let host = request.head.authority, !allowedHosts.contains(Self.hostName(host)) {
            throw APIError.misdirected(host)
        }
        if request.uri.path.hasPrefix("/api/"), request.method != .get, request.method != .head {
            let mediaType = request.headers[.contentType]?.split(separator: ";").first?
                .trimmingCharacters(in: .whitespaces).lowercased()
            guard mediaType == "application/json" else { throw APIError.unsupportedMediaType(mediaType) }
        }
        return try await next(request, context)
    }

    /// `Host` without its port, lowercased; IPv6 brackets removed.
    static func hostName(_ host: String) -> String {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") {
            name = name.dropFirst().prefix { $0 != "]" }
        } else if let colon = name.lastIndex(of: ":"), name.firstIndex(of: ":") == colon {
            name = name[..<colon]
        }
        return String(name)
    }
}
