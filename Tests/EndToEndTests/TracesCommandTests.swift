import Foundation
import TestSupport
import Testing
import TraceModel

@Suite("causeway traces show")
struct TracesCommandTests {
    @Test("prints the workflow as a tree across traces, link hops marked, span data escaped")
    func tree() async throws {
        let server = try ServerProcess()
        defer { _ = server.terminate() }
        for request in WorkflowFixture.requests(in: .shuffled) { try await HTTP.export(server.otlpHTTP, request) }
        let hostile = Span.stub(trace: WorkflowFixture.worker, span: .stub(0x24), parent: .stub(0x21),
                                name: "evil\u{1B}[2J\u{1B}]0;pwned\u{07}\u{202E}name", start: 1_700_000_000_140_000_000,
                                status: SpanStatus(code: .error, message: "bad\nline\u{9B}31m"))
        try await HTTP.export(server.otlpHTTP, .stub(service: "worker\u{1B}[31m", spans: [hostile]))

        let run = try CommandRun.causeway(["traces", "show", WorkflowFixture.retry.hex, "--server", server.api])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("workflow wf_\(WorkflowFixture.request.hex) · 4 traces · 9 spans") == true, "\(run.stdout)")
        // The request's root first; the worker trace's root under the enqueue span, as a link hop.
        #expect(lines.dropFirst().first?.hasPrefix("POST /refunds  [api] server  40.0 ms  · trace \(WorkflowFixture.request.hex)") == true)
        let enqueue = try #require(lines.firstIndex { $0.contains("enqueue refund") })
        let worker = try #require(lines.firstIndex { $0.contains("⤷ link  process refund  [worker] consumer") })
        let retry = try #require(lines.firstIndex { $0.contains("⤷ link  process refund (retry)") })
        #expect(enqueue < worker && worker < retry)
        #expect(Self.depth(lines[worker]) == Self.depth(lines[enqueue]) + 1)
        #expect(lines.contains { $0.contains("payments.issue_refund  [worker]  10.0 ms  ✗ ERROR: gateway timeout") })
        // The batch root links to two producers: shown once, under the earlier one, and referenced at the other.
        #expect(lines.filter { $0.contains("nightly batch") && $0.contains("⤷ link") }.count == 1)
        #expect(lines.contains { $0.contains("(+1 more link)") })
        #expect(lines.contains { $0.contains("⇢ also linked by nightly batch") })
        // No control character from span data reaches the terminal.
        #expect(!run.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E })
        #expect(run.stdout.contains("evil\\u{1B}[2J\\u{1B}]0;pwned\\u{7}\\u{202E}name"))
        #expect(run.stdout.contains("bad\\u{A}line\\u{9B}31m"))
        #expect(run.stdout.contains("[worker\\u{1B}[31m]"))

        let json = try CommandRun.causeway(["traces", "show", WorkflowFixture.retry.hex, "--json", "--server", server.api])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["workflow_id"] as? String == "wf_" + WorkflowFixture.request.hex)
    }

    @Test("an unknown or malformed trace id, or no server, fails with a message")
    func failures() async throws {
        let server = try ServerProcess()
        defer { _ = server.terminate() }
        let unknown = try CommandRun.causeway(["traces", "show", TraceID.stub(0xDEAD).hex, "--server", server.api])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no spans stored for trace \(TraceID.stub(0xDEAD).hex)"))
        let malformed = try CommandRun.causeway(["traces", "show", "xyz", "--server", server.api])
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("32 hex digits"))
        let unreachable = try CommandRun.causeway(["traces", "show", TraceID.stub(1).hex, "--server", "http://127.0.0.1:1"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot reach the Causeway API"))
    }

    /// How deep a tree line is indented (three columns a level).
    static func depth(_ line: String) -> Int {
        let prefix = line.prefix { " │├└─".contains($0) }
        return prefix.count / 3
    }
}
