import Foundation
import GRDB
import TraceModel

/// Correlation keys (`stitch.correlation_attributes`) for runtimes that export no links: the
/// first trace seen with a value is remembered, and every later trace with the same value is
/// joined to it like a link, in any arrival order and across restarts.
enum CorrelationValues {
    /// Records the value for `trace`; returns the trace that first carried it (maybe `trace`).
    static func record(_ db: Database, _ correlation: (attribute: String, value: String), trace: TraceID) throws -> TraceID? {
        let data = try Data.fetchOne(db.cachedStatement(sql: """
            INSERT INTO correlation_value (attribute, value, trace_id) VALUES (?, ?, ?)
            ON CONFLICT (attribute, value) DO UPDATE SET trace_id = correlation_value.trace_id
            RETURNING trace_id
            """), arguments: [correlation.attribute, correlation.value, Data(trace.bytes)])
        return data.flatMap { TraceID(data: $0) }
    }
}
