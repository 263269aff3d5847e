import Detection
import Foundation
import Hummingbird
import Storage
import TraceModel

/// `/api/v1/exceptions`: the queue, one exception, and reviewer actions.
enum ExceptionRoutes {
    /// `exc_` and 16 lowercase hex digits.
    static func isValidID(_ id: String) -> Bool {
        id.count == 20 && id.hasPrefix("exc_") && id.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func add(to router: Router<BasicRequestContext>, store: TraceStore, now: @escaping @Sendable () -> UInt64) {
        router.get("/api/v1/exceptions") { request, _ -> Response in
            let query = request.uri.queryParameters
            var filter = ExceptionFilter()
            if let status = query["status"].map(String.init), !status.isEmpty {
                guard let parsed = ExceptionStatus(rawValue: status) else {
                    return APIError.badRequest("invalid_status", "status is one of open, acknowledged, resolved, dismissed").response
                }
                filter.status = parsed
            }
            if let value = query["class"].map(String.init), !value.isEmpty { filter.exceptionClass = value }
            if let value = query["owner"].map(String.init), !value.isEmpty { filter.owner = value }
            var limit = 50
            if let text = query["limit"].map(String.init), !text.isEmpty {
                guard let value = Int(text), (1...500).contains(value) else {
                    return APIError.badRequest("invalid_limit", "limit is an integer from 1 to 500").response
                }
                limit = value
            }
            var cursor: ExceptionCursor?
            if let text = query["cursor"].map(String.init), !text.isEmpty {
                guard let parsed = ExceptionCursor(text) else {
                    return APIError.badRequest("invalid_cursor", "cursor is the next_cursor of a previous page").response
                }
                cursor = parsed
            }
            let page = try await store.exceptions(filter, limit: limit, after: cursor)
            let timestamp = now()
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
            let id = context.parameters.get("id") ?? ""
            guard isValidID(id) else { return APIError.badRequest("invalid_exception_id", "an exception id is exc_ and 16 hex digits").response }
            guard let detail = try await store.exception(id: id) else { return APIError.notFound("no exception \(id)").response }
            var writer = JSONWriter(capacity: 4096)
            detail.writeAPIJSON(to: &writer, now: now())
            return Response.json(writer.bytes)
        }

        router.post("/api/v1/exceptions/:id/actions") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard isValidID(id) else { return APIError.badRequest("invalid_exception_id", "an exception id is exc_ and 16 hex digits").response }
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let json = try? JSONValue.parse(body.readableBytesView), case .object(let fields) = json else {
                return APIError.badRequest("invalid_body", "the body is a JSON object: {\"action\":…,\"actor\":…,\"owner\":…,\"note\":…}").response
            }
            func text(_ key: String) -> String? {
                if case .string(let value)? = fields[key] { return value }
                return nil
            }
            guard let actionName = text("action"), let action = ExceptionAction(rawValue: actionName) else {
                return APIError.badRequest("invalid_action", "action is one of ack, assign, resolve, dismiss, reopen").response
            }
            do {
                try await store.apply(action, to: id, actor: text("actor") ?? "anonymous", owner: text("owner"), note: text("note") ?? "", at: now())
            } catch let error as ExceptionActionError {
                switch error {
                case .notFound:
                    return APIError.notFound("no exception \(id)").response
                case .invalidTransition(let action, let status):
                    return APIError.badRequest("invalid_transition", "cannot \(action.rawValue) an exception that is \(status.rawValue)").response
                case .ownerRequired:
                    return APIError.badRequest("owner_required", "assign needs an owner").response
                }
            }
            guard let detail = try await store.exception(id: id) else { return APIError.notFound("no exception \(id)").response }
            var writer = JSONWriter(capacity: 4096)
            detail.writeAPIJSON(to: &writer, now: now())
            return Response.json(writer.bytes)
        }
    }
}
