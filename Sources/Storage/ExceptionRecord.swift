import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// A queue item as stored.
public struct ExceptionRecord: Sendable, Equatable {
    public var id: String
    public var exceptionClass: String
    public var category: String
    public var severity: String
    public var status: ExceptionStatus
    public var owner: String
    public var slaNanos: UInt64
    public var dueAtUnixNano: UInt64
    public var summary: String
    public var service: String
    public var tool: String?
    /// The span that triggered it.
    public var trigger: SpanReference
    /// Nil only for a stored key without its separator (none are written).
    public var dedupeKey: DedupeKey?
    /// The workflow it was found in (moved along when workflows merge), and that workflow's id
    /// as the API shows it (`wf_…`).
    public var workflowID: Int64
    public var workflowName: String?
    public var occurrences: Int
    public var openedAtUnixNano: UInt64
    public var updatedAtUnixNano: UInt64
    public var firstActionAtUnixNano: UInt64?
    public var resolvedAtUnixNano: UInt64?
    /// For a `merged` exception: the exception of the same pattern it was folded into.
    public var mergedInto: String?
    /// The trigger's tool call id, when it has one.
    public var callID: String?
    /// Holds the agent while open and undecided (DESIGN.md §9).
    public var blocking: Bool
    /// The reviewer's decision, once made: who and when.
    public var decision: ExceptionAction?
    public var decidedBy: String?
    public var decidedAtUnixNano: UInt64?
    /// When the SLA timer marked it breached.
    public var breachedAtUnixNano: UInt64?

    /// What the reviewer must decide, in words, with the options.
    public var nextDecision: String {
        NextDecision.text(exceptionClass: exceptionClass, severity: severity, tool: tool, callID: callID, service: service,
                          workflow: workflowName)
    }

    /// Past its due time: still active after it, or resolved after it.
    public func breached(now: UInt64) -> Bool {
        if let resolved = resolvedAtUnixNano { return resolved > dueAtUnixNano }
        return status.isActive && now > dueAtUnixNano
    }

    /// Selects exception rows with the key that names their workflow, as `init(row:)` reads them.
    static let selection = """
        SELECT exception.*, coalesce(workflow.key_trace_id, exception.frozen_workflow_key) AS workflow_key
        FROM exception LEFT JOIN workflow ON workflow.id = exception.workflow_id
        """

    init(row: Row) throws {
        guard let traceID = TraceID(data: row["trace_id"]), let spanID = SpanID(data: row["span_id"]),
              let status = ExceptionStatus(rawValue: row["status"]) else {
            throw StorageError("a stored exception is malformed")
        }
        id = row["id"]
        exceptionClass = row["class"]
        category = row["category"]
        severity = row["severity"]
        self.status = status
        owner = row["owner"]
        slaNanos = UInt64(bitPattern: row["sla_nanos"])
        dueAtUnixNano = UInt64(bitPattern: row["due_at_unix_nano"])
        summary = row["summary"]
        service = row["service"]
        tool = row["tool"]
        trigger = SpanReference(traceID: traceID, spanID: spanID)
        dedupeKey = DedupeKey(text: row["dedupe_key"])
        workflowID = row["workflow_id"]
        workflowName = TraceID(data: row["workflow_key"]).map { "wf_" + $0.hex }
        occurrences = row["occurrences"]
        openedAtUnixNano = UInt64(bitPattern: row["opened_at_unix_nano"])
        updatedAtUnixNano = UInt64(bitPattern: row["updated_at_unix_nano"])
        firstActionAtUnixNano = (row["first_action_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) }
        resolvedAtUnixNano = (row["resolved_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) }
        mergedInto = row["merged_into"]
        callID = row["call_id"]
        blocking = row["blocking"]
        decision = (row["decision"] as String?).flatMap(ExceptionAction.init(rawValue:))
        decidedBy = row["decided_by"]
        decidedAtUnixNano = (row["decided_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) }
        breachedAtUnixNano = (row["breached_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) }
    }
}

/// One line of an exception's history, never rewritten.
public struct ExceptionHistoryEntry: Sendable, Equatable {
    public var atUnixNano: UInt64
    public var actor: String
    public var action: String
    public var note: String
    public var owner: String?
}

/// Everything `GET /api/v1/exceptions/{id}` shows.
public struct ExceptionDetail: Sendable {
    public var record: ExceptionRecord
    public var history: [ExceptionHistoryEntry]
    public var causalPath: CausalPath?
    public var toolReceipts: [ToolReceipt]
}
