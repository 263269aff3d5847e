import Detection

/// What a reviewer's action does to an item, the same on every store: refused (`ExceptionActionError`)
/// unless the actor may act on its owner, the action moves its status, `assign` names an owner,
/// and `approve`/`deny` are for approvals; else the status it moves to, its owner after, and when
/// it was resolved or dismissed (nil: it is not).
struct ReviewerChange {
    let next: ExceptionStatus
    let owner: String
    let resolvedAt: Int64?

    init(_ action: ExceptionAction, on record: ExceptionRecord, owner: String?, at now: UInt64, mayAct: (String) -> Bool) throws {
        guard mayAct(record.owner) else { throw ExceptionActionError.forbidden(owner: record.owner) }
        guard let next = action.next(from: record.status) else {
            throw ExceptionActionError.invalidTransition(action: action, status: record.status)
        }
        if action == .assign, owner?.isEmpty ?? true { throw ExceptionActionError.ownerRequired }
        guard action.applies(toClass: record.exceptionClass) else {
            throw ExceptionActionError.notApplicable(action: action, exceptionClass: record.exceptionClass)
        }
        self.next = next
        self.owner = owner.flatMap { $0.isEmpty ? nil : $0 } ?? record.owner
        resolvedAt = switch next {
        case .resolved, .dismissed: Int64(bitPattern: now)
        default: nil
        }
    }
}
