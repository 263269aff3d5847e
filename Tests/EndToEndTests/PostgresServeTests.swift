import Foundation
import Logging
import OTLP
import Storage
import Testing
import TestSupport
import TraceModel

/// Two real `causeway serve` processes on one PostgreSQL database (DESIGN.md §11), started at
/// once on the empty database: a workflow's linked traces sent half to each, shuffled and
/// concurrently, with every request re-delivered to the other instance, come out as the one
/// workflow and the same exceptions, ids and triggers included, that one SQLite instance gives
/// for the same spans sent in another order.
@Suite("causeway serve: two instances on one PostgreSQL", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"] != nil, "needs Tests/Postgres/run.sh"))
struct PostgresServeTests {
    /// Sends each request to `server` as OTLP/HTTP protobuf, `concurrency` at a time; every one must be acknowledged.
    static func send(_ requests: [TraceBatch], to server: String) async throws {
        let endpoint = server + "/v1/traces"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, request) in requests.enumerated() {
                if index >= 4 { try await group.next() }
                group.addTask {
                    let reply = try await HTTP.send(endpoint, headers: [("Content-Type", "application/x-protobuf")],
                                                    body: request.protobufExportRequest())
                    #expect(reply.status == 200, "\(reply.text)")
                }
            }
            try await group.waitForAll()
        }
    }

    /// The instance's exceptions, comparable: id, class, status, occurrences, trigger, call id
    /// and workflow, sorted.
    static func exceptions(_ server: ServerProcess) async throws -> [String] {
        let reply = try await HTTP.send(server.api + "/api/v1/exceptions?limit=200", method: .GET)
        #expect(reply.status == 200)
        let items = try #require(try reply.json()["exceptions"] as? [[String: Any]])
        return items.map { item in
            ["id", "class", "status", "occurrences", "trace_id", "span_id", "call_id", "workflow_id"]
                .map { item[$0].map { "\($0)" } ?? "-" }.joined(separator: " ")
        }.sorted()
    }

    /// Settling after a second of quiet (the triggers of counting patterns are final then).
    /// Short enough for a quick test, long enough that no part of the workflow goes quiet while
    /// its traces are still being sent (a part that settles early files an `unresolved_failure`
    /// that the whole workflow, with a later success in it, would not: timing, not arrival order).
    static let quickSettle = "detect:\n  unresolved_failure:\n    settle_after: 4s\n"

    /// The instance's exceptions once its workflows have settled: the list, once no workflow
    /// waits to settle (`/api/v1/stats`), read until it stops changing (up to 30 s).
    static func settledExceptions(_ server: ServerProcess) async throws -> [String] {
        var last: [String] = []
        for _ in 0..<300 {
            let stats = try await HTTP.getJSON(server.api + "/api/v1/stats")
            let current = try await exceptions(server)
            if (stats["queue"] as? [String: Any])?["settling_workflows"] as? Int == 0, current == last { return current }
            last = current
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the workflows did not settle within 30 s")
        return last
    }

    /// The workflow holding `trace`, as the instance's API shows it (every request was
    /// acknowledged, and an instance acknowledges only after its commit).
    static func workflow(_ server: ServerProcess, trace: TraceID) async throws -> [String: Any] {
        let reply = try await HTTP.send(server.api + "/api/v1/traces/\(trace.hex)?limit=1000", method: .GET)
        #expect(reply.status == 200, "\(reply.text)")
        return try reply.json()
    }

    @Test("linked traces half to each instance, re-delivered to the other: one workflow, the exceptions one SQLite instance files")
    func twoInstances() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"])
        let spans = LinkedWorkflowFixture.spans(traces: 40)
        let reference = try ServerProcess(configuration: Self.quickSettle)
        defer { _ = reference.terminate() }
        for request in LinkedWorkflowFixture.tracesShuffled(spans, seed: 5) { try await Self.send([request], to: reference.otlpHTTP) }
        let expected = try await Self.settledExceptions(reference)
        #expect(expected.contains { $0.contains(" repeat_failure open ") } && expected.contains { $0.contains(" stale_connector_data open ") })

        let url = try await PostgresStore.createDatabase("causeway_serve_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                                                         server: server, logger: Logger(label: "postgres-test"))
        // Both start at once on the empty database: the schema is created once.
        let (first, second) = try ServerProcess.startTogether(databasePath: url, configuration: Self.quickSettle)
        defer { _ = first.terminate(); _ = second.terminate() }
        // The traces in another order, half to each instance concurrently, every request then again to the other.
        let requests = LinkedWorkflowFixture.tracesShuffled(spans, seed: 6)
        let half = requests.count / 2
        let (firstOTLP, secondOTLP) = (first.otlpHTTP, second.otlpHTTP)
        async let one: Void = Self.send(Array(requests[..<half]) + Array(requests[half...]), to: firstOTLP)
        async let two: Void = Self.send(Array(requests[half...]) + Array(requests[..<half]), to: secondOTLP)
        _ = try await (one, two)

        let single = try await Self.workflow(reference, trace: LinkedWorkflowFixture.trace(39))
        for instance in [first, second] {
            let workflow = try await Self.workflow(instance, trace: LinkedWorkflowFixture.trace(39))
            #expect(workflow["workflow_id"] as? String == single["workflow_id"] as? String)
            #expect((workflow["traces"] as? [Any])?.count == 40)
            #expect(workflow["span_count"] as? Int == spans.count, "every span once")
            let filed = try await Self.settledExceptions(instance)
            #expect(filed == expected)
        }
        #expect(first.terminate() == 0 && second.terminate() == 0)
    }
}
