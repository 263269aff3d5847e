/// What a reviewer must decide about an exception, in words, with the options
/// (`next_decision`, DESIGN.md §9): one sentence, shown by the API, the CLI, the dashboard and
/// the agent's `decisions`.
public enum NextDecision {
    public static func text(exceptionClass: String, severity: String, tool: String?, callID: String?, service: String,
                            workflow: String?) -> String {
        let subject = tool ?? service
        let call = callID.map { " (call \($0))" } ?? ""
        let scope = workflow.map { " for workflow \($0)" } ?? ""
        switch exceptionClass {
        case "approval_required" where severity == "critical":
            return "\(subject)\(call) ran without an approval\(scope): approve it (it stands, and later calls of \(subject) may run) or deny it (the agent stops)."
        case "approval_required":
            return "Approve or deny \(subject)\(call)\(scope): approve lets this and later calls of \(subject) run, deny stops the agent."
        case "repeat_failure":
            return "A retry cannot fix \(subject) as things are\(scope): fix the cause and retry, or abort the run."
        case "stale_connector_data":
            return "\(subject) served stale data\(scope): refresh it and retry, or abort the run."
        case "unresolved_failure":
            return "\(subject) failed and nothing recovered\(scope): retry the step, or abort the run."
        default:
            return "The rule \(exceptionClass) flagged \(subject)\(scope): retry once it is checked, or abort the run."
        }
    }
}
