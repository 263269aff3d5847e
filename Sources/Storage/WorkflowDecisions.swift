import Detection
import TraceModel

/// What the agent should do now in one workflow (`GET /api/v1/decisions`, DESIGN.md §9):
/// `stop` once any decision in it is deny or abort; `hold` while a blocking exception is open
/// or acknowledged with no decision; otherwise `proceed`.
public struct WorkflowDecisions: Sendable, Equatable {
    public enum Verdict: String, Sendable {
        case proceed, hold, stop
    }

    /// An exception that holds the agent.
    public struct Blocking: Sendable, Equatable {
        public var id: String
        public var exceptionClass: String
        public var status: ExceptionStatus
        public var tool: String?
        public var nextDecision: String
    }

    /// A decision a reviewer made in the workflow (every one, oldest first).
    public struct Made: Sendable, Equatable {
        public var exceptionID: String
        public var decision: ExceptionAction
        public var by: String
        public var atUnixNano: UInt64
        public var tool: String?
        public var callID: String?
    }

    /// `wf_…`; nil when no span of the trace has arrived yet (nothing holds it: `proceed`).
    public var workflowName: String?
    public var blocking: [Blocking]
    public var decisions: [Made]

    public var verdict: Verdict {
        if decisions.contains(where: { $0.decision.stops }) { return .stop }
        return blocking.isEmpty ? .proceed : .hold
    }

    public init(workflowName: String?, blocking: [Blocking], decisions: [Made]) {
        self.workflowName = workflowName
        self.blocking = blocking
        self.decisions = decisions
    }
}
