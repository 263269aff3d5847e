import Correlation
import Storage
import TraceModel

/// An exception as the API returns it (the contract's shape, DESIGN.md §1).
extension ExceptionRecord {
    /// The fields every listing shows; `more` appends members before the object closes.
    func writeAPIJSON(to writer: inout JSONWriter, now: UInt64, more: (inout JSONWriter) -> Void = { _ in }) {
        writer.raw("{\"id\":")
        writer.string(id)
        writer.key("class")
        writer.string(exceptionClass)
        writer.key("category")
        writer.string(category)
        writer.key("severity")
        writer.string(severity)
        writer.key("status")
        writer.string(status.rawValue)
        writer.key("owner")
        writer.string(owner)
        writer.raw(",\"sla\":{\"due_at\":")
        writer.string(RFC3339.format(unixNano: dueAtUnixNano))
        writer.key("breached")
        writer.bool(breached(now: now))
        writer.key("seconds")
        writer.number(slaNanos / 1_000_000_000)
        writer.byte(UInt8(ascii: "}"))
        writer.key("summary")
        writer.string(summary)
        writer.key("service")
        writer.string(service)
        writer.key("tool")
        if let tool { writer.string(tool) } else { writer.raw("null") }
        writer.key("opened_at")
        writer.string(RFC3339.format(unixNano: openedAtUnixNano))
        writer.key("updated_at")
        writer.string(RFC3339.format(unixNano: updatedAtUnixNano))
        writer.key("first_action_at")
        if let at = firstActionAtUnixNano { writer.string(RFC3339.format(unixNano: at)) } else { writer.raw("null") }
        writer.key("resolved_at")
        if let at = resolvedAtUnixNano { writer.string(RFC3339.format(unixNano: at)) } else { writer.raw("null") }
        writer.key("trace_id")
        writer.string(trigger.traceID.hex)
        writer.key("span_id")
        writer.string(trigger.spanID.hex)
        writer.key("workflow_id")
        if let workflowName { writer.string(workflowName) } else { writer.raw("null") }
        writer.key("occurrences")
        writer.number(occurrences)
        writer.key("merged_into")
        if let mergedInto { writer.string(mergedInto) } else { writer.raw("null") }
        writer.key("call_id")
        if let callID { writer.string(callID) } else { writer.raw("null") }
        writer.key("blocking")
        writer.bool(blocking)
        writer.key("next_decision")
        writer.string(nextDecision)
        writer.key("decision")
        if let decision { writer.string(decision.rawValue) } else { writer.raw("null") }
        writer.key("decided_by")
        if let decidedBy { writer.string(decidedBy) } else { writer.raw("null") }
        writer.key("decided_at")
        if let at = decidedAtUnixNano { writer.string(RFC3339.format(unixNano: at)) } else { writer.raw("null") }
        more(&writer)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension ExceptionDetail {
    func writeAPIJSON(to writer: inout JSONWriter, now: UInt64) {
        record.writeAPIJSON(to: &writer, now: now) { writer in
            writer.key("causal_path")
            CausalHop.writeAPIJSON(causalPath?.hops ?? [], to: &writer)
            writer.key("tool_receipts")
            writer.array(toolReceipts) { writer, receipt in
                writer.raw("{\"trace_id\":")
                writer.string(receipt.reference.traceID.hex)
                writer.key("span_id")
                writer.string(receipt.reference.spanID.hex)
                writer.key("tool")
                writer.string(receipt.tool)
                writer.key("call_id")
                if let callID = receipt.callID { writer.string(callID) } else { writer.raw("null") }
                writer.key("status")
                writer.raw(receipt.failed ? "\"error\"" : "\"ok\"")
                writer.key("error_type")
                if let type = receipt.errorType { writer.string(type) } else { writer.raw("null") }
                writer.key("start_time")
                writer.string(RFC3339.format(unixNano: receipt.startTimeUnixNano))
                writer.byte(UInt8(ascii: "}"))
            }
            writer.key("history")
            writer.array(history) { writer, entry in
                writer.raw("{\"at\":")
                writer.string(RFC3339.format(unixNano: entry.atUnixNano))
                writer.key("actor")
                writer.string(entry.actor)
                writer.key("action")
                writer.string(entry.action)
                writer.key("note")
                writer.string(entry.note)
                writer.key("owner")
                if let owner = entry.owner { writer.string(owner) } else { writer.raw("null") }
                writer.byte(UInt8(ascii: "}"))
            }
        }
    }
}
