import Correlation
import Detection
import NIOCore
import PostgresNIO
import TraceModel

extension ExceptionRecord {
    /// Selects exception rows with the key that names their workflow, as `init(postgres:)` reads them.
    static let postgresSelection = """
        SELECT exception.*, coalesce(workflow.key_trace_id, exception.frozen_workflow_key) AS workflow_key
        FROM exception LEFT JOIN workflow ON workflow.id = exception.workflow_id
        """

    /// Reads a row of `postgresSelection`.
    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func text(_ name: String) throws -> String { String(buffer: try cells[name].decode(ByteBuffer.self)) }
        func optionalText(_ name: String) throws -> String? { try cells[name].decode(ByteBuffer?.self).map { String(buffer: $0) } }
        func nanos(_ name: String) throws -> UInt64 { UInt64(bitPattern: try cells[name].decode(Int64.self)) }
        func optionalNanos(_ name: String) throws -> UInt64? { try cells[name].decode(Int64?.self).map { UInt64(bitPattern: $0) } }
        guard let traceID = TraceID(buffer: try cells["trace_id"].decode(ByteBuffer.self)),
              let spanID = SpanID(buffer: try cells["span_id"].decode(ByteBuffer.self)),
              let status = ExceptionStatus(rawValue: try cells["status"].decode(String.self)) else {
            throw StorageError("a stored exception is malformed")
        }
        id = try cells["id"].decode(String.self)
        exceptionClass = try cells["class"].decode(String.self)
        category = try cells["category"].decode(String.self)
        severity = try cells["severity"].decode(String.self)
        self.status = status
        owner = try text("owner")
        slaNanos = try nanos("sla_nanos")
        dueAtUnixNano = try nanos("due_at_unix_nano")
        summary = try text("summary")
        service = try text("service")
        tool = try optionalText("tool")
        trigger = SpanReference(traceID: traceID, spanID: spanID)
        dedupeKey = DedupeKey(text: try text("dedupe_key"))
        workflowID = try cells["workflow_id"].decode(Int64.self)
        workflowName = try cells["workflow_key"].decode(ByteBuffer?.self).flatMap(TraceID.init(buffer:)).map { "wf_" + $0.hex }
        occurrences = Int(try cells["occurrences"].decode(Int64.self))
        openedAtUnixNano = try nanos("opened_at_unix_nano")
        updatedAtUnixNano = try nanos("updated_at_unix_nano")
        firstActionAtUnixNano = try optionalNanos("first_action_at_unix_nano")
        resolvedAtUnixNano = try optionalNanos("resolved_at_unix_nano")
        mergedInto = try cells["merged_into"].decode(String?.self)
        callID = try optionalText("call_id")
        blocking = try cells["blocking"].decode(Bool.self)
        decision = try cells["decision"].decode(String?.self).flatMap(ExceptionAction.init(rawValue:))
        decidedBy = try optionalText("decided_by")
        decidedAtUnixNano = try optionalNanos("decided_at_unix_nano")
        breachedAtUnixNano = try optionalNanos("breached_at_unix_nano")
    }
}
