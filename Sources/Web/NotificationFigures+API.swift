import Storage
import TraceModel

/// Delivery figures per `notify` entry as `/api/v1/stats` shows them (`notifications`).
extension NotificationFigures {
    static func writeJSON(_ figures: [String: NotificationFigures], to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        for (index, name) in figures.keys.sorted().enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(name)
            writer.byte(UInt8(ascii: ":"))
            let entry = figures[name] ?? NotificationFigures()
            writer.raw("{\"delivered\":")
            writer.number(entry.delivered)
            writer.key("failed_attempts")
            writer.number(entry.failedAttempts)
            writer.key("abandoned")
            writer.number(entry.abandoned)
            writer.key("pending")
            writer.number(entry.pending)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
    }
}
