import Crypto
import Detection
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import TestSupport
import Testing
import TraceModel
@testable import Web

/// A store holding one `approval_required` (owner `finance-approvals`, its tool span carrying
/// hostile attribute text) and one `repeat_failure` (owner `ops-triage`), and the listener's router over it.
struct WebFixture {
    static let tokens = ["alice": "alice-token", "victor": "victor-token", "root": "root-token", "bob": "bob-token"]
    static let reviewers = ReviewerDirectory([
        Reviewer(name: "alice", tokenSHA256: digest("alice-token"), role: .reviewer, teams: ["finance-approvals"]),
        Reviewer(name: "victor", tokenSHA256: digest("victor-token"), role: .viewer),
        Reviewer(name: "root", tokenSHA256: digest("root-token"), role: .admin),
        Reviewer(name: "bob", tokenSHA256: digest("bob-token"), role: .reviewer, teams: ["logistics-ops"]),
    ])
    static let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"

    let store: TraceStore
    let approvalID: String
    let repeatID: String

    static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    static func make() async throws -> WebFixture {
        var detection = DetectionConfiguration.default
        detection.approvalRequiredTools = ["payments.*"]
        let owners = OwnerRouting(rules: [OwnerRouting.Rule(exceptionClass: "approval_required", owner: "finance-approvals", slaNanos: 900_000_000_000)])
        let store = try TraceStore(path: temporaryDatabasePath(), detection: detection, owners: owners)
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        func tool(_ span: UInt64, _ name: String, error: String? = nil, extra: [Attribute] = []) -> Span {
            Span.stub(trace: .stub(1), span: .stub(span), parent: .stub(1), name: "execute_tool \(name)", start: now + span * 1_000_000,
                      attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string(name))] + extra,
                      status: error.map { SpanStatus(code: .error, message: $0) } ?? SpanStatus())
        }
        let spans = [
            Span.stub(trace: .stub(1), span: .stub(1), name: "invoke_agent refunds", start: now),
            tool(2, "payments.issue_refund", extra: [Attribute("note", .string(hostile)), Attribute(hostile, .string("key"))]),
            tool(3, "crm.lookup", error: "CustomerNotFound", extra: [Attribute("error.type", .string("CustomerNotFound"))]),
            tool(4, "crm.lookup", error: "CustomerNotFound", extra: [Attribute("error.type", .string("CustomerNotFound"))]),
        ]
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        try await writer.write(.stub(service: "refunds", spans: spans))
        writer.finish()
        try await running.value
        let items = try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items
        let approval = try #require(items.first { $0.exceptionClass == "approval_required" })
        let repeated = try #require(items.first { $0.exceptionClass == "repeat_failure" })
        return WebFixture(store: store, approvalID: approval.id, repeatID: repeated.id)
    }

    /// The listener's router over the store, with `reviewers` (none: the open dashboard).
    func application(reviewers: ReviewerDirectory) throws -> some ApplicationProtocol {
        let router = try APIListener.router(store: store, clock: SystemClock(), reviewers: reviewers, ingestFigures: {
            IngestFigures(requestsAccepted: 0, requestsRefused: 0, spansAccepted: 0, spansRejected: 0, spansWritten: 0, spansDuplicate: 0,
                          queuedSpans: 0, transactions: 0, writingSeconds: 0, stitchingSeconds: 0, lagSeconds: 0, exceptionsOpened: 0,
                          detectionSeconds: 0)
        })
        return Application(router: router)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// `Authorization: Bearer <token>`, plus a JSON content type for posts.
func headers(token: String?, json: Bool = false) -> HTTPFields {
    var fields = HTTPFields()
    if let token { fields[.authorization] = "Bearer \(token)" }
    if json { fields[.contentType] = "application/json" }
    return fields
}
