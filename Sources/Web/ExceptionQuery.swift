import Detection
import Hummingbird
import Storage

/// The query string of a list of exceptions, the same names and values on the API and the
/// dashboard: `status, class, owner, severity, breached, limit, cursor`.
struct ExceptionQuery {
    var filter = ExceptionFilter()
    var limit = 50
    var cursor: ExceptionCursor?
    /// `status` was given (the dashboard lists the active items otherwise).
    var hasStatus = false

    /// What was wrong with a query, as a code and a sentence.
    struct Problem: Error {
        var code: String
        var message: String
    }

    init(_ parameters: Parameters) throws(Problem) {
        func value(_ name: String) -> String? {
            guard let text = parameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            return text
        }
        if let status = value("status") {
            guard let parsed = ExceptionStatus(rawValue: status), parsed != .merged else {
                throw Problem(code: "invalid_status", message: "status is one of open, acknowledged, resolved, dismissed")
            }
            filter.statuses = [parsed]
            hasStatus = true
        }
        filter.exceptionClass = value("class")
        filter.owner = value("owner")
        if let severity = value("severity") {
            guard ExceptionSeverity(rawValue: severity) != nil else {
                throw Problem(code: "invalid_severity", message: "severity is one of critical, high, normal")
            }
            filter.severity = severity
        }
        if let breached = value("breached") {
            guard let parsed = Bool(breached) else { throw Problem(code: "invalid_breached", message: "breached is true or false") }
            filter.breached = parsed
        }
        if let text = value("limit") {
            guard let parsed = Int(text), (1...500).contains(parsed) else {
                throw Problem(code: "invalid_limit", message: "limit is an integer from 1 to 500")
            }
            limit = parsed
        }
        if let text = value("cursor") {
            guard let parsed = ExceptionCursor(text) else {
                throw Problem(code: "invalid_cursor", message: "cursor is the next_cursor of a previous page")
            }
            cursor = parsed
        }
    }
}
