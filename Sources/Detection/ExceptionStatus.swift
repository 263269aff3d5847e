/// Where an exception stands in the queue.
public enum ExceptionStatus: String, Sendable, Equatable, CaseIterable {
    case open, acknowledged, resolved, dismissed
    /// Folded into the other exception of the same pattern when their workflows joined
    /// (`merged_into`); no action applies to it, and lists and figures leave it out.
    case merged

    /// Still waiting for someone (counts towards the SLA).
    public var isActive: Bool { self == .open || self == .acknowledged }
}

/// What a reviewer can do to an exception.
public enum ExceptionAction: String, Sendable, Equatable, CaseIterable {
    case ack, assign, resolve, dismiss, reopen

    /// The status after this action, or nil when it is not allowed from `status`.
    public func next(from status: ExceptionStatus) -> ExceptionStatus? {
        switch (self, status) {
        case (.ack, .open): .acknowledged
        case (.assign, .open), (.assign, .acknowledged): status
        case (.resolve, .open), (.resolve, .acknowledged): .resolved
        case (.dismiss, .open), (.dismiss, .acknowledged): .dismissed
        case (.reopen, .resolved), (.reopen, .dismissed): .open
        default: nil
        }
    }

    /// The word history records for it.
    public var historyName: String {
        switch self {
        case .ack: "acknowledged"
        case .assign: "assigned"
        case .resolve: "resolved"
        case .dismiss: "dismissed"
        case .reopen: "reopened"
        }
    }
}
