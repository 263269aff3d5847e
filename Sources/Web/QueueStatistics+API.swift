import Storage
import TraceModel

extension QueueFigures {
    func writeJSON(to writer: inout JSONWriter) {
        func optional(_ value: Double?) {
            if let value { writer.number(value) } else { writer.raw("null") }
        }
        writer.raw("{\"open\":")
        writer.number(open)
        writer.key("acknowledged")
        writer.number(acknowledged)
        writer.key("resolved")
        writer.number(resolved)
        writer.key("dismissed")
        writer.number(dismissed)
        writer.key("breached")
        writer.number(breached)
        writer.key("oldest_open_age_seconds")
        optional(oldestActiveAgeSeconds)
        writer.key("resolved_within_sla")
        optional(resolvedWithinSLA)
        writer.key("median_time_to_first_action_seconds")
        optional(medianTimeToFirstActionSeconds)
        writer.key("median_time_to_resolution_seconds")
        optional(medianTimeToResolutionSeconds)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension QueueStatistics {
    func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"total\":")
        total.writeJSON(to: &writer)
        for (name, groups) in [("by_class", byClass), ("by_owner", byOwner)] {
            writer.byte(UInt8(ascii: ","))
            writer.string(name)
            writer.raw(":{")
            for (index, key) in groups.keys.sorted().enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(key)
                writer.byte(UInt8(ascii: ":"))
                groups[key]?.writeJSON(to: &writer)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.key("approval_turnaround_seconds")
        if let turnaround = approvalTurnaroundSeconds { writer.number(turnaround) } else { writer.raw("null") }
        writer.key("settling_workflows")
        writer.number(settlingWorkflows)
        writer.byte(UInt8(ascii: "}"))
    }
}
