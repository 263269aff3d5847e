import Hummingbird
import Storage
import TraceModel

/// `GET /api/v1/decisions?trace_id=…&wait=…`: what the agent should do now (DESIGN.md §9),
/// held until the answer changes or the wait is up (a long poll).
struct DecisionRoutes {
    let store: any ExceptionQueue & WorkflowReader
    let clock: any WallClock
    /// The longest a long poll may be held.
    static let maxWaitNanos: UInt64 = 60_000_000_000

    func add(to router: Router<WebRequestContext>) {
        router.get("/api/v1/decisions") { request, _ -> Response in
            let parameters = request.uri.queryParameters
            guard let text = parameters["trace_id"], let trace = TraceID(hex: text), !trace.isZero else {
                throw APIError.badRequest("invalid_trace_id", "trace_id is a trace id of the workflow: 32 hex digits, not all zero")
            }
            var waitNanos: UInt64 = 0
            if let text = parameters["wait"] {
                guard let nanos = DurationText.parse(String(text)), nanos <= Self.maxWaitNanos else {
                    throw APIError.badRequest("invalid_wait", "wait is a duration of at most 60s, like 30s or 1m")
                }
                waitNanos = nanos
            }
            let answer = try await answer(for: trace, waitNanos: waitNanos)
            var writer = JSONWriter(capacity: 512)
            answer.writeAPIJSON(to: &writer)
            return Response.json(writer.bytes)
        }
    }

    /// The answer now, or once it differs from the first answer, or at the end of the wait.
    func answer(for trace: TraceID, waitNanos: UInt64) async throws -> WorkflowDecisions {
        let deadline = clock.now() &+ waitNanos
        var version = store.queueChanges.version
        var answer = try await store.decisions(forTrace: trace)
        let first = answer.verdict
        while waitNanos > 0, answer.verdict == first, clock.now() < deadline, !Task.isCancelled {
            await store.queueChanges.wait(after: version, orUntil: deadline, on: clock)
            // Read the version before the answer: a change committed in between wakes the next wait at once.
            version = store.queueChanges.version
            answer = try await store.decisions(forTrace: trace)
        }
        return answer
    }
}
