import Storage
import TraceModel

/// The bodies of notification POSTs (DESIGN.md §9): the exception as the API lists it (no
/// causal path), or a Slack message with a link to its dashboard page.
public enum NotificationBody {
    /// `{"event", "delivery_id", "at", "exception": {…}}`.
    public static func json(event: String, deliveryID: String, atUnixNano: UInt64, exception: ExceptionRecord) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        writer.raw("{\"event\":")
        writer.string(event)
        writer.key("delivery_id")
        writer.string(deliveryID)
        writer.key("at")
        writer.string(RFC3339.format(unixNano: atUnixNano))
        writer.key("exception")
        exception.writeAPIJSON(to: &writer, now: atUnixNano)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// `{"text": …}` for a Slack incoming webhook; `dashboard` is the dashboard's base URL.
    public static func slack(event: String, atUnixNano: UInt64, exception: ExceptionRecord, dashboard: String) -> [UInt8] {
        let link = dashboard.hasSuffix("/") ? String(dashboard.dropLast()) : dashboard
        // Slack reads &, < and > as markup: span data is escaped so it stays text.
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let headline = switch event {
        case "opened": "New"
        case "recurred": "Again"
        case "reopened": "Reopened"
        case "breached": "SLA breached"
        case "escalated": "Escalated to \(escaped(exception.owner))"
        case "decided": "Decided: \(exception.decision?.rawValue ?? "?")" + (exception.decidedBy.map { " by \(escaped($0))" } ?? "")
        case "resolved": "Resolved"
        default: escaped(event)
        }
        let text = "*\(headline)* · \(exception.severity) `\(exception.exceptionClass)` for \(escaped(exception.owner)): "
            + "\(escaped(exception.summary))\n\(escaped(exception.nextDecision))\n<\(link)/exceptions/\(exception.id)|\(exception.id)>"
        var writer = JSONWriter(capacity: 512)
        writer.raw("{\"text\":")
        writer.string(text)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}
