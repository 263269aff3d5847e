import Detection
import GRDB

/// Which exceptions to list: every condition set must hold.
public struct ExceptionFilter: Sendable, Equatable {
    /// Any of these statuses; empty: every status but `merged`.
    public var statuses: [ExceptionStatus]
    public var exceptionClass: String?
    public var owner: String?
    public var severity: String?
    /// Past its due time (still active after it, or resolved after it), or not.
    public var breached: Bool?

    public init(status: ExceptionStatus? = nil, exceptionClass: String? = nil, owner: String? = nil, severity: String? = nil, breached: Bool? = nil) {
        statuses = status.map { [$0] } ?? []
        self.exceptionClass = exceptionClass
        self.owner = owner
        self.severity = severity
        self.breached = breached
    }

    /// The open and acknowledged ones: what still waits for someone.
    public static var active: ExceptionFilter {
        var filter = ExceptionFilter()
        filter.statuses = [.open, .acknowledged]
        return filter
    }

    /// SQL conditions on the `exception` table and their arguments; `byStatus: false` leaves the
    /// status out (merged items included), for counting per status from a covering index.
    func sql(now: UInt64, byStatus: Bool = true) -> (conditions: [String], arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if !byStatus {
        } else if statuses.isEmpty {
            conditions.append("exception.status != 'merged'")
        } else if statuses == [.open, .acknowledged] {
            // Literally as the partial index `exception_active_by_due` says it, so the planner uses it.
            conditions.append("exception.status IN ('open','acknowledged')")
        } else {
            conditions.append("exception.status IN (\(statuses.map { _ in "?" }.joined(separator: ",")))")
            for status in statuses { arguments += [status.rawValue] }
        }
        if let exceptionClass {
            conditions.append("exception.class = ?")
            arguments += [exceptionClass]
        }
        if let owner {
            conditions.append("exception.owner = ?")
            arguments += [owner]
        }
        if let severity {
            conditions.append("exception.severity = ?")
            arguments += [severity]
        }
        if let breached {
            let past = """
                ((exception.status IN ('open','acknowledged') AND exception.due_at_unix_nano < ?)
                 OR coalesce(exception.resolved_at_unix_nano > exception.due_at_unix_nano, 0))
                """
            conditions.append(breached ? past : "NOT \(past)")
            arguments += [Int64(bitPattern: now)]
        }
        return (conditions, arguments)
    }
}
