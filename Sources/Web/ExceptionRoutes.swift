import Detection
import Foundation
import Hummingbird
import Storage
import TraceModel

/// `/api/v1/exceptions`: the queue, one exception, and reviewer actions.
struct ExceptionRoutes {
    let store: any ExceptionQueue & WorkflowReader
    let now: @Sendable () -> UInt64

    func add(to router: Router<WebRequestContext>) {
        router.get("/api/v1/exceptions") { request, _ -> Response in
            let query: ExceptionQuery
            do {
                query = try ExceptionQuery(request.uri.queryParameters)
            } catch let problem as ExceptionQuery.Problem {
                throw APIError.badRequest(problem.code, problem.message)
            }
            let timestamp = now()
            let page = try await store.exceptions(query.filter, order: .newest, limit: query.limit, after: query.cursor, now: timestamp)
            var writer = JSONWriter(capacity: 512 * page.items.count + 64)
            writer.raw("{\"exceptions\":[")
            for (index, record) in page.items.enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                record.writeAPIJSON(to: &writer, now: timestamp)
            }
            writer.raw("],\"next_cursor\":")
            if let next = page.next { writer.string(next.text) } else { writer.raw("null") }
            writer.byte(UInt8(ascii: "}"))
            return Response.json(writer.bytes)
        }

        router.get("/api/v1/exceptions/:id") { _, context -> Response in
            let id = try Self.exceptionID(context)
            guard let detail = try await store.exception(id: id) else { throw APIError.notFound("no exception \(id)") }
            var writer = JSONWriter(capacity: 4096)
            detail.writeAPIJSON(to: &writer, now: now())
            return Response.json(writer.bytes)
        }

        router.post("/api/v1/exceptions/:id/actions") { request, context -> Response in
            let id = try Self.exceptionID(context)
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            guard let json = try? JSONValue.parse(body.readableBytesView), case .object(let fields) = json else {
                throw APIError.badRequest("invalid_body", "the body is a JSON object: {\"action\":…,\"actor\":…,\"owner\":…,\"note\":…}")
            }
            func text(_ key: String) -> String? {
                if case .string(let value)? = fields[key] { return value }
                return nil
            }
            guard let actionName = text("action"), let action = ExceptionAction(rawValue: actionName) else {
                throw APIError.badRequest("invalid_action", "action is one of " + ExceptionAction.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let identity = context.identity
            guard identity.role != .viewer else { throw APIError.forbidden("a viewer may read but not act") }
            do {
                try await store.apply(action, to: id, actor: identity.actor(claimed: text("actor")), owner: text("owner"), note: text("note") ?? "",
                                      at: now(), mayAct: { identity.mayAct(onOwner: $0) })
            } catch let error as ExceptionActionError {
                throw APIError(error)
            }
            guard let detail = try await store.exception(id: id) else { throw APIError.notFound("no exception \(id)") }
            var writer = JSONWriter(capacity: 4096)
            detail.writeAPIJSON(to: &writer, now: now())
            return Response.json(writer.bytes)
        }
    }

    static func exceptionID(_ context: WebRequestContext) throws -> String {
        guard let id = PathIDs.exceptionID(context) else {
            throw APIError.badRequest("invalid_exception_id", "an exception id is exc_ and 16 hex digits")
        }
        return id
    }
}
