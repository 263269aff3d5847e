import ArgumentParser
import Foundation
import TraceModel

/// `causeway stats`: the queue figures and ingest counters.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show queue figures per class and owner, and ingest counters.")

    @Flag(help: "Print the API's JSON.") var json = false
    @OptionGroup var connection: ServerOptions

    func run() async throws {
        let body = try await CLI.call { try await connection.client.get("/api/v1/stats") }
        if json {
            CLI.print(String(decoding: body, as: UTF8.self))
            return
        }
        let stats = try JSONValue.parse(body)
        var lines: [String] = []
        func number(_ value: JSONValue?) -> String {
            guard let value = value?.doubleValue else { return "-" }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.1f", value)
        }
        func share(_ value: JSONValue?) -> String {
            value?.doubleValue.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
        }
        let header = ["", "OPEN", "ACKED", "RESOLVED", "DISMISSED", "BREACHED", "OLDEST OPEN s", "IN SLA", "FIRST ACTION s", "RESOLUTION s"]
        func row(_ name: String, _ figures: JSONValue?) -> [String] {
            [TerminalText.escape(name), number(figures?["open"]), number(figures?["acknowledged"]), number(figures?["resolved"]),
             number(figures?["dismissed"]), number(figures?["breached"]), number(figures?["oldest_open_age_seconds"]),
             share(figures?["resolved_within_sla"]), number(figures?["median_time_to_first_action_seconds"]),
             number(figures?["median_time_to_resolution_seconds"])]
        }
        var rows = [header, row("all", stats["queue"]?["total"])]
        for group in ["by_class", "by_owner"] {
            if case .object(let members)? = stats["queue"]?[group] {
                for key in members.keys.sorted() { rows.append(row((group == "by_class" ? "class " : "owner ") + key, members[key])) }
            }
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        lines.append("approval turnaround (median s): \(number(stats["queue"]?["approval_turnaround_seconds"]))")
        let ingest = stats["ingest"]
        lines.append("ingest: \(number(ingest?["spans_accepted"])) spans accepted, \(number(ingest?["spans_rejected"])) rejected, "
            + "\(number(ingest?["spans_written"])) written, \(number(ingest?["queued_spans"])) queued, lag \(String(format: "%.3f", ingest?["lag_seconds"]?.doubleValue ?? 0)) s")
        CLI.print(lines.joined(separator: "\n"))
    }
}
