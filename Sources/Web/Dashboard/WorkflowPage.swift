import Correlation
import Storage
import TraceModel

/// `GET /workflows/{trace_id}`: the whole workflow as a timeline across its traces, with its exceptions.
struct WorkflowPage {
    /// Spans drawn at most; the rest are counted, and the API pages through them all.
    static let maxRows = 2_000

    var chrome: PageChrome
    var workflowID: String
    var traceID: String
    var traceCount: Int
    var spanCount: Int
    var errorCount: Int
    var linkCount: Int
    var timeline: String
    var omitted: Int
    var hasOmitted: Bool
    var exceptions: [ExceptionLine]
    var hasExceptions: Bool
    var apiHref: String

    struct ExceptionLine {
        var id: String
        var href: String
        var severity: String
        var exceptionClass: String
        var summary: String
        var status: String
    }

    init(workflow: StoredWorkflow, requested: TraceID, exceptions records: [ExceptionRecord], viewer: Viewer) {
        chrome = PageChrome(title: "Workflow \(workflow.record.name)", section: .none, viewer: viewer)
        workflowID = workflow.record.name
        traceID = requested.hex
        traceCount = workflow.traceIDs.count
        spanCount = workflow.spans.count
        errorCount = workflow.spans.filter { $0.span.status.code == .error }.count
        linkCount = workflow.spans.reduce(0) { $0 + $1.span.links.count }
        var triggers: [SpanReference: String] = [:]
        for record in records where triggers[record.trigger] == nil { triggers[record.trigger] = record.id }
        let entries = workflow.spans.map { stored in
            let node = stored.causalNode
            return TimelineSVG.Entry(node: node, exceptionID: triggers[node.reference])
        }
        (timeline, omitted) = TimelineSVG.render(entries, traceOrder: workflow.traceIDs, maxRows: Self.maxRows)
        hasOmitted = omitted > 0
        exceptions = records.map {
            ExceptionLine(id: $0.id, href: "/exceptions/\($0.id)", severity: $0.severity, exceptionClass: $0.exceptionClass,
                          summary: $0.summary, status: $0.status.rawValue)
        }
        hasExceptions = !exceptions.isEmpty
        apiHref = "/api/v1/traces/\(requested.hex)"
    }
}
