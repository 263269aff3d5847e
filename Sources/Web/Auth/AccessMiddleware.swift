import Hummingbird
import Ingest

/// Decides who is asking (DESIGN.md §8). With reviewers configured, the API and `/metrics` need
/// `Authorization: Bearer <token>` (401 without), and a page needs a signed-in session (else 303
/// to `/login`). Every page request gets a session, signed-in or not, so forms carry a CSRF token.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext

    let reviewers: ReviewerDirectory
    let signer: SessionSigner
    let now: @Sendable () -> UInt64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        if path == "/healthz" || path.hasPrefix("/static/") {
            return try await next(request, context)
        }
        if path.hasPrefix("/api/") || path == "/metrics" {
            if !reviewers.isEmpty {
                guard let token = Self.bearerToken(request), let reviewer = reviewers.reviewer(token: token) else {
                    throw APIError.unauthorized
                }
                context.identity = Identity(reviewer)
            }
            return try await next(request, context)
        }
        let seconds = now() / 1_000_000_000
        var session = request.cookies[SessionSigner.cookieName].flatMap { signer.session(cookie: $0.value, now: seconds) }
        let issued = session == nil
        if session == nil { session = signer.newSession(name: nil, now: seconds) }
        guard let session else { preconditionFailure("a session was just made") }
        context.session = session
        var response: Response
        if reviewers.isEmpty {
            response = try await next(request, context)
        } else if let name = session.name, let reviewer = reviewers.reviewer(named: name) {
            context.identity = Identity(reviewer)
            response = try await next(request, context)
        } else if path == "/login" {
            response = try await next(request, context)
        } else {
            response = Response.seeOther(LoginPage.location(returningTo: request.method == .get ? request.uri.description : "/"))
        }
        if issued { response.setCookie(signer.cookie(session)) }
        return response
    }

    static func bearerToken(_ request: Request) -> String? {
        TokenDigest.bearerToken(request.headers[.authorization])
    }
}
