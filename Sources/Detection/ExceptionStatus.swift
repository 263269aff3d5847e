/// Where an exception stands in the queue.
public enum ExceptionStatus: String, Sendable, Equatable, CaseIterable {
    case open, acknowledged, resolved, dismissed
    /// Folded into the other exception of the same pattern when their workflows joined
    /// (`merged_into`); no action applies to it, and lists and figures leave it out.
    case merged

    /// Still waiting for someone (counts towards the SLA).
    public var isActive: Bool { self == .open || self == .acknowledged }
}

/// What a reviewer can do to an exception. `approve`, `deny`, `retry` and `abort` are
/// decisions (DESIGN.md §9): each records the decision and resolves the item.
public enum ExceptionAction: String, Sendable, Equatable, CaseIterable {
    case ack, assign, resolve, dismiss, reopen
    case approve, deny, retry, abort

    /// The status after this action, or nil when it is not allowed from `status`.
    public func next(from status: ExceptionStatus) -> ExceptionStatus? {
        switch (self, status) {
        case (.ack, .open): .acknowledged
        case (.assign, .open), (.assign, .acknowledged): status
        case (.resolve, .open), (.resolve, .acknowledged): .resolved
        case (.dismiss, .open), (.dismiss, .acknowledged): .dismissed
        case (.reopen, .resolved), (.reopen, .dismissed): .open
        case (.approve, .open), (.approve, .acknowledged), (.deny, .open), (.deny, .acknowledged),
             (.retry, .open), (.retry, .acknowledged), (.abort, .open), (.abort, .acknowledged): .resolved
        default: nil
        }
    }

    /// A decision the agent hears about (`decision` on the exception).
    public var isDecision: Bool { [.approve, .deny, .retry, .abort].contains(self) }

    /// Whether a reviewer may take it on an exception of this class: approve and deny are for
    /// `approval_required` only.
    public func applies(toClass exceptionClass: String) -> Bool {
        switch self {
        case .approve, .deny: exceptionClass == "approval_required"
        default: true
        }
    }

    /// Whether this decision tells the agent to stop.
    public var stops: Bool { self == .deny || self == .abort }

    /// The action a history line records, by its word (`approved` → `approve`).
    public init?(historyName: String) {
        guard let action = Self.allCases.first(where: { $0.historyName == historyName }) else { return nil }
        self = action
    }

    /// The history words of the decisions.
    public static let decisionHistoryNames = allCases.filter(\.isDecision).map(\.historyName)

    /// The word history records for it.
    public var historyName: String {
        switch self {
        case .ack: "acknowledged"
        case .assign: "assigned"
        case .resolve: "resolved"
        case .dismiss: "dismissed"
        case .reopen: "reopened"
        case .approve: "approved"
        case .deny: "denied"
        case .retry: "retried"
        case .abort: "aborted"
        }
    }
}
