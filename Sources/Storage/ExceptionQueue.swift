import Detection
import TraceModel

/// The exception queue as the API, the dashboard and reviewers see it.
public protocol ExceptionQueue: Sendable {
    /// Bumped after every transaction that changed the queue (long polls wait on it).
    var queueChanges: QueueChanges { get }
    func exceptions(_ filter: ExceptionFilter, order: ExceptionOrder, limit: Int, after cursor: ExceptionCursor?,
                    now: UInt64) async throws -> (items: [ExceptionRecord], next: ExceptionCursor?)
    func exceptionCounts(_ filter: ExceptionFilter, now: UInt64) async throws -> [ExceptionStatus: Int]
    func exceptions(inWorkflowOf trace: TraceID) async throws -> [ExceptionRecord]
    func exception(id: String) async throws -> ExceptionDetail?
    /// A reviewer's action; `mayAct` is asked with the item's owner before anything changes.
    func apply(_ action: ExceptionAction, to id: String, actor: String, owner: String?, note: String, at now: UInt64,
               mayAct: @escaping @Sendable (String) -> Bool) async throws
    func decisions(forTrace trace: TraceID) async throws -> WorkflowDecisions
    func queueStatistics(now: UInt64) async throws -> QueueStatistics
    func exceptionFacets() async throws -> ExceptionFacets
    func recurringSignatures(since: UInt64, limit: Int) async throws -> [RecurringSignature]
    func notificationFigures() async throws -> [String: NotificationFigures]
}

extension ExceptionQueue {
    public func exceptions(_ filter: ExceptionFilter, order: ExceptionOrder = .newest, limit: Int, after cursor: ExceptionCursor?)
        async throws -> (items: [ExceptionRecord], next: ExceptionCursor?) {
        try await exceptions(filter, order: order, limit: limit, after: cursor, now: 0)
    }

    public func apply(_ action: ExceptionAction, to id: String, actor: String, owner: String?, note: String, at now: UInt64) async throws {
        try await apply(action, to: id, actor: actor, owner: owner, note: note, at: now, mayAct: { _ in true })
    }
}
