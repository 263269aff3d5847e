import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// One workflow as one detector sees it, read inside the writer's transaction.
struct SQLiteDetectionContext: DetectionContext {
    let db: Database
    let workflow: Int64
    let detector: String
    let settled: Bool

    func facts(_ key: String) throws -> [FactOccurrence] {
        try FactQueries.facts(db, workflow: workflow, detector: detector, key: key)
    }

    func keys() throws -> [String] {
        try FactQueries.keys(db, workflow: workflow, detector: detector)
    }

    func node(_ reference: SpanReference) throws -> CausalNode? {
        try SQLiteSpanLookup(db: db).node(reference)
    }
}
