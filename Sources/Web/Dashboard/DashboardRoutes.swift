import Detection
import Foundation
import Hummingbird
import Storage
import TraceModel

/// The reviewers' room (DESIGN.md §7): the queue, an exception, a workflow's timeline, insights,
/// sign-in, and actions as form posts carrying the session's CSRF token.
struct DashboardRoutes {
    let store: any ExceptionQueue & WorkflowReader
    let now: @Sendable () -> UInt64
    let reviewers: ReviewerDirectory
    let signer: SessionSigner
    let renderer: PageRenderer

    /// The queue's query parameters, in the order links write them.
    static let queueParameters = ["status", "class", "owner", "severity", "breached", "limit", "cursor"]

    func add(to router: Router<WebRequestContext>) {
        router.get("/static/causeway.css") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                     body: ResponseBody(byteBuffer: PageRenderer.stylesheet))
        }

        router.get("/") { request, context -> Response in
            let query: ExceptionQuery
            do {
                query = try ExceptionQuery(request.uri.queryParameters)
            } catch let problem as ExceptionQuery.Problem {
                throw PageError.badRequest(problem.message)
            }
            var filter = query.filter
            if !query.hasStatus { filter.statuses = [.open, .acknowledged] }
            let timestamp = now()
            let page = try await store.exceptions(filter, order: .urgency, limit: query.limit, after: query.cursor, now: timestamp)
            let counts = try await store.exceptionCounts(query.filter, now: timestamp)
            let facets = try await store.exceptionFacets()
            let given = request.uri.queryParameters
            let parameters = Self.queueParameters.compactMap { name in
                given[Substring(name)].flatMap { $0.isEmpty ? nil : (name, String($0)) }
            }
            return renderer.render(QueuePage(query: query, parameters: parameters, page: page, counts: counts, facets: facets,
                                             now: timestamp, viewer: Viewer(context)), template: "queue")
        }

        router.get("/exceptions/:id") { _, context -> Response in
            let id = try Self.exceptionID(context)
            guard let detail = try await store.exception(id: id) else { throw PageError.notFound("There is no exception \(id).") }
            return renderer.render(ExceptionPage(detail, now: now(), viewer: Viewer(context)), template: "exception")
        }

        router.post("/exceptions/:id/actions") { request, context -> Response in
            let id = try Self.exceptionID(context)
            let form = try await FormBody(request, context: context)
            try checkCSRF(form, context)
            guard let action = form["action"].flatMap(ExceptionAction.init(rawValue:)) else {
                throw PageError.badRequest("Choose one of the actions on the page.")
            }
            let identity = context.identity
            guard identity.role != .viewer else { throw PageError.forbidden("A viewer may read the queue but not act on it.") }
            do {
                try await store.apply(action, to: id, actor: identity.name, owner: form["owner"], note: form["note"] ?? "", at: now(),
                                      mayAct: { identity.mayAct(onOwner: $0) })
            } catch let error as ExceptionActionError {
                throw Self.pageError(error)
            }
            return Response.seeOther("/exceptions/\(id)")
        }

        router.get("/workflows/:trace_id") { _, context -> Response in
            guard let traceID = PathIDs.traceID(context) else { throw PageError.notFound("A trace id is 32 hex digits and not all zero.") }
            guard let workflow = try await store.workflow(containing: traceID) else {
                throw PageError.notFound("No spans are stored for trace \(traceID.hex).")
            }
            let exceptions = try await store.exceptions(inWorkflowOf: traceID)
            return renderer.render(WorkflowPage(workflow: workflow, requested: traceID, exceptions: exceptions, viewer: Viewer(context)), template: "workflow")
        }

        router.get("/insights") { _, context -> Response in
            let timestamp = now()
            let statistics = try await store.queueStatistics(now: timestamp)
            let day: UInt64 = 86_400 * 1_000_000_000
            let recurring7 = try await store.recurringSignatures(since: timestamp > 7 * day ? timestamp - 7 * day : 0, limit: 10)
            let recurring30 = try await store.recurringSignatures(since: timestamp > 30 * day ? timestamp - 30 * day : 0, limit: 10)
            return renderer.render(InsightsPage(statistics: statistics, recurring7: recurring7, recurring30: recurring30, viewer: Viewer(context)),
                                   template: "insights")
        }

        router.get("/login") { request, context -> Response in
            let next = LoginPage.safeNext(request.uri.queryParameters[Substring("next")].map(String.init))
            if reviewers.isEmpty || context.identity.authenticated { return Response.seeOther(next) }
            return renderer.render(LoginPage(chrome: .signIn(Viewer(context)), next: next, failed: false),
                                   template: "login")
        }

        router.post("/login") { request, context -> Response in
            let form = try await FormBody(request, context: context)
            try checkCSRF(form, context)
            let next = LoginPage.safeNext(form["next"])
            guard let token = form["token"], let reviewer = reviewers.reviewer(token: token) else {
                return renderer.render(LoginPage(chrome: .signIn(Viewer(context)), next: next, failed: true),
                                       template: "login", status: .unauthorized)
            }
            var response = Response.seeOther(next)
            response.setCookie(signer.cookie(signer.newSession(name: reviewer.name, now: now() / 1_000_000_000)))
            return response
        }

        router.post("/logout") { request, context -> Response in
            let form = try await FormBody(request, context: context)
            try checkCSRF(form, context)
            var response = Response.seeOther(reviewers.isEmpty ? "/" : "/login")
            response.setCookie(signer.cookie(signer.newSession(name: nil, now: now() / 1_000_000_000)))
            return response
        }
    }

    /// A form post must carry its session's CSRF token (403 otherwise).
    func checkCSRF(_ form: FormBody, _ context: WebRequestContext) throws {
        guard let session = context.session, signer.isValidCSRF(form["csrf"], for: session) else {
            throw PageError.forbidden("This form has expired or did not come from this site. Reload the page and try again.")
        }
    }

    static func exceptionID(_ context: WebRequestContext) throws -> String {
        guard let id = PathIDs.exceptionID(context) else { throw PageError.notFound("An exception id is exc_ and 16 hex digits.") }
        return id
    }

    static func pageError(_ error: ExceptionActionError) -> PageError {
        switch error {
        case .notFound(let id): .notFound("There is no exception \(id).")
        case .invalidTransition(let action, let status): .badRequest("An exception that is \(status.rawValue) cannot be given \(action.rawValue).")
        case .ownerRequired: .badRequest("Assigning needs the new owner's name.")
        case .notApplicable(let action, let exceptionClass): .badRequest("Only an approval_required item can be given \(action.rawValue); this one is \(exceptionClass).")
        case .forbidden(let owner): .forbidden("Your teams do not include \(owner), the owner of this item.")
        }
    }
}
