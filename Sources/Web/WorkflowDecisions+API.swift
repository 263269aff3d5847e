import Storage
import TraceModel

/// The agent's answer as the API returns it (DESIGN.md §9).
extension WorkflowDecisions {
    func writeAPIJSON(to writer: inout JSONWriter) {
        writer.raw("{\"workflow_id\":")
        if let workflowName { writer.string(workflowName) } else { writer.raw("null") }
        writer.key("decision")
        writer.string(verdict.rawValue)
        writer.key("blocking")
        writer.array(blocking) { writer, item in
            writer.raw("{\"id\":")
            writer.string(item.id)
            writer.key("class")
            writer.string(item.exceptionClass)
            writer.key("status")
            writer.string(item.status.rawValue)
            writer.key("tool")
            if let tool = item.tool { writer.string(tool) } else { writer.raw("null") }
            writer.key("next_decision")
            writer.string(item.nextDecision)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.key("decisions")
        writer.array(decisions) { writer, made in
            writer.raw("{\"exception_id\":")
            writer.string(made.exceptionID)
            writer.key("decision")
            writer.string(made.decision.rawValue)
            writer.key("by")
            writer.string(made.by)
            writer.key("at")
            writer.string(RFC3339.format(unixNano: made.atUnixNano))
            writer.key("tool")
            if let tool = made.tool { writer.string(tool) } else { writer.raw("null") }
            writer.key("call_id")
            if let callID = made.callID { writer.string(callID) } else { writer.raw("null") }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
    }
}
