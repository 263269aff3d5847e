import Foundation
import GRDB
import TraceModel

/// Keeps failures counted once, at the deepest failed span, inside the writer's transaction: a
/// failed span marks its parent (`failed_child`), the parent's failure facts already stored are
/// dropped, and a span that arrives already marked stores none.
struct FailureFacts {
    let db: Database
    /// Detectors whose facts are failures.
    let detectors: Set<String>

    /// Marks `parent` as having a failed child; returns the failure facts of `parent` it dropped.
    func markFailedChild(trace: TraceID, parent: [UInt8]) throws -> [(trace: TraceID, detector: String, key: String)] {
        guard !detectors.isEmpty else { return [] }
        try db.cachedStatement(sql: "INSERT INTO failed_child (trace_id, span_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .execute(arguments: [Data(trace.bytes), Data(parent)])
        guard db.changesCount > 0 else { return [] }
        var dropped: [(trace: TraceID, detector: String, key: String)] = []
        for detector in detectors {
            for key in try String.fetchAll(db.cachedStatement(sql: """
                DELETE FROM detection_fact WHERE trace_id = ? AND detector = ? AND span_id = ? RETURNING key
                """), arguments: [Data(trace.bytes), detector, Data(parent)]) {
                dropped.append((trace, detector, key))
            }
        }
        return dropped
    }

    /// Whether a child of this span is already known to have failed.
    func hasFailedChild(trace: [UInt8], span: [UInt8]) throws -> Bool {
        guard !detectors.isEmpty else { return false }
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM failed_child WHERE trace_id = ? AND span_id = ?)"),
                                 arguments: [Data(trace), Data(span)]) ?? false
    }
}
