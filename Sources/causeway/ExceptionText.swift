import Foundation
import TraceModel

/// Exceptions as terminal text; all span-derived text is escaped.
enum ExceptionText {
    static func text(_ value: JSONValue?, _ fallback: String = "") -> String {
        TerminalText.escape(value?.stringValue ?? fallback)
    }

    /// One line per exception under a header.
    static func table(_ items: [JSONValue]) -> String {
        guard !items.isEmpty else { return "no exceptions" }
        let rows = items.map { item -> [String] in
            let breached = item["sla"]?["breached"]?.boolValue == true
            return [
                text(item["id"]), text(item["class"]), text(item["severity"]), text(item["status"]), text(item["owner"]),
                (breached ? "BREACHED " : "") + text(item["sla"]?["due_at"]), "\(item["occurrences"]?.doubleValue.map { Int($0) } ?? 1)",
                text(item["summary"]),
            ]
        }
        let header = ["ID", "CLASS", "SEVERITY", "STATUS", "OWNER", "DUE", "N", "SUMMARY"]
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < row.count - 1 { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// The exception, its causal path as a tree (origin first, each hop one level deeper), its
    /// tool receipts and its history.
    static func detail(_ exception: JSONValue) -> String {
        var lines: [String] = []
        let breached = exception["sla"]?["breached"]?.boolValue == true
        lines.append("\(text(exception["id"]))  \(text(exception["class"]))  \(text(exception["severity"]))  \(text(exception["status"]))")
        lines.append(text(exception["summary"]))
        lines.append("owner \(text(exception["owner"]))  ·  due \(text(exception["sla"]?["due_at"]))\(breached ? "  ·  SLA BREACHED" : "")"
            + "  ·  occurrences \(exception["occurrences"]?.doubleValue.map { Int($0) } ?? 1)")
        lines.append("category \(text(exception["category"]))  ·  workflow \(text(exception["workflow_id"], "?"))  ·  opened \(text(exception["opened_at"]))")
        lines.append("trigger \(text(exception["trace_id"]))/\(text(exception["span_id"]))")
        lines.append("")
        lines.append("causal path:")
        for (depth, hop) in (exception["causal_path"]?.arrayValue ?? []).enumerated() {
            let indent = String(repeating: "   ", count: depth)
            let connector = depth == 0 ? "" : "└─ "
            let relation = hop["relation"]?.stringValue == "linked_from" ? "⤷ link  " : ""
            if hop["placeholder"]?.boolValue == true {
                lines.append("  " + indent + connector + "? missing span \(text(hop["trace_id"]))/\(text(hop["span_id"])) (not received)")
                continue
            }
            var line = "  " + indent + connector + relation + text(hop["name"]) + "  [" + text(hop["service"]) + "]"
            if hop["status"]?.stringValue == "error" { line += "  ✗ ERROR" }
            line += "  · trace " + text(hop["trace_id"]) + " span " + text(hop["span_id"])
            lines.append(line)
        }
        let receipts = exception["tool_receipts"]?.arrayValue ?? []
        if !receipts.isEmpty {
            lines.append("")
            lines.append("tool receipts:")
            for receipt in receipts {
                var line = "  \(text(receipt["tool"]))  \(text(receipt["status"]))"
                if let type = receipt["error_type"]?.stringValue { line += " (\(TerminalText.escape(type)))" }
                if let call = receipt["call_id"]?.stringValue { line += "  call \(TerminalText.escape(call))" }
                line += "  at \(text(receipt["start_time"]))  · span \(text(receipt["span_id"]))"
                lines.append(line)
            }
        }
        lines.append("")
        lines.append("history:")
        for entry in exception["history"]?.arrayValue ?? [] {
            var line = "  \(text(entry["at"]))  \(text(entry["actor"]))  \(text(entry["action"]))"
            if let owner = entry["owner"]?.stringValue { line += " → \(TerminalText.escape(owner))" }
            if let note = entry["note"]?.stringValue, !note.isEmpty { line += ": \(TerminalText.escape(note))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
