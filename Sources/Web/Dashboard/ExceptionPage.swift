import Correlation
import Detection
import Storage
import TraceModel

/// `GET /exceptions/{id}`: what must be decided, the SLA, the causal path as a tree (link hops
/// marked), the tool receipts, the trigger's evidence, the history and the actions.
struct ExceptionPage {
    var chrome: PageChrome
    var id: String
    var summary: String
    var exceptionClass: String
    var category: String
    var severity: String
    var status: String
    var owner: String
    var occurrences: Int
    var opened: String
    var openedAgo: String
    var dueAt: String
    var due: String
    var breached: Bool
    var decision: String
    /// The decision already made, in words ("approved by alice 3 minutes ago"), if any.
    var decided: String?
    var workflowHref: String
    var workflowID: String
    var mergedInto: String?
    var path: [Hop]
    var hasPath: Bool
    var receipts: [Receipt]
    var hasReceipts: Bool
    var attempts: Int
    var retries: Int
    var evidence: Evidence?
    var history: [HistoryLine]
    var actions: [Action]
    var canAct: Bool
    var cannotActReason: String
    var actionURL: String

    struct Hop {
        var spanID: String
        var traceID: String
        var traceShort: String
        var name: String
        var service: String?
        var kind: String
        var status: String?
        var isError: Bool
        var relation: String
        var isLink: Bool
        var isTrigger: Bool
        var isPlaceholder: Bool
        var duration: String?
        var start: String
        var attributes: [KeyValue]
        var hasAttributes: Bool
        var children: [Hop]
        var hasChildren: Bool
    }

    struct KeyValue {
        var key: String
        var value: String
    }

    struct Receipt {
        var attempt: Int
        var tool: String
        var callID: String
        var failed: Bool
        var status: String
        var errorType: String
        var start: String
        var spanID: String
    }

    struct Evidence {
        var name: String
        var service: String?
        var statusMessage: String?
        var attributes: [KeyValue]
        var events: [EventLine]
    }

    struct EventLine {
        var name: String
        var at: String
        var attributes: [KeyValue]
    }

    struct HistoryLine {
        var at: String
        var ago: String
        var actor: String
        var action: String
        var note: String?
        var owner: String?
    }

    struct Action {
        var value: String
        var label: String
        var primary: Bool
        /// Stops the agent (deny, abort).
        var danger: Bool
    }

    init(_ detail: ExceptionDetail, now: UInt64, viewer: Viewer) {
        let record = detail.record
        chrome = PageChrome(title: record.summary, section: .none, viewer: viewer)
        id = record.id
        summary = record.summary
        exceptionClass = record.exceptionClass
        category = record.category
        severity = record.severity
        status = record.status.rawValue
        owner = record.owner
        occurrences = record.occurrences
        opened = RFC3339.format(unixNano: record.openedAtUnixNano)
        openedAgo = RelativeTime.ago(record.openedAtUnixNano, now: now)
        dueAt = RFC3339.format(unixNano: record.dueAtUnixNano)
        breached = record.breached(now: now)
        if record.status.isActive {
            due = RelativeTime.due(record.dueAtUnixNano, now: now)
        } else if let resolved = record.resolvedAtUnixNano {
            due = "\(record.status.rawValue) \(RelativeTime.ago(resolved, now: now))" + (breached ? ", after its due time" : ", within its SLA")
        } else {
            due = record.status.rawValue
        }
        decision = record.nextDecision
        decided = record.decision.map { action in
            "\(action.historyName)" + (record.decidedBy.map { " by \($0)" } ?? "")
                + (record.decidedAtUnixNano.map { " " + RelativeTime.ago($0, now: now) } ?? "")
        }
        workflowHref = "/workflows/\(record.trigger.traceID.hex)"
        workflowID = record.workflowName ?? ""
        mergedInto = record.mergedInto
        path = Self.tree(detail.causalPath?.hops ?? [], trigger: record.trigger)
        hasPath = !path.isEmpty
        receipts = detail.toolReceipts.enumerated().map { index, receipt in
            Receipt(attempt: index + 1, tool: receipt.tool, callID: receipt.callID ?? "—", failed: receipt.failed,
                    status: receipt.failed ? "error" : "ok", errorType: receipt.errorType ?? "", start: RFC3339.format(unixNano: receipt.startTimeUnixNano),
                    spanID: receipt.reference.spanID.hex)
        }
        hasReceipts = !receipts.isEmpty
        attempts = receipts.count
        retries = max(0, receipts.count - 1)
        if let node = detail.causalPath?.hops.last(where: { $0.reference == record.trigger })?.node {
            evidence = Evidence(
                name: node.span.name, service: Self.nonEmpty(node.service), statusMessage: Self.nonEmpty(node.span.status.message),
                attributes: Self.keyValues(node.span.attributes),
                events: node.span.events.map { EventLine(name: $0.name, at: RFC3339.format(unixNano: $0.timeUnixNano), attributes: Self.keyValues($0.attributes)) })
        }
        history = detail.history.map { entry in
            HistoryLine(at: RFC3339.format(unixNano: entry.atUnixNano), ago: RelativeTime.ago(entry.atUnixNano, now: now), actor: entry.actor,
                        action: entry.action, note: Self.nonEmpty(entry.note), owner: entry.owner)
        }
        let identity = viewer.identity
        canAct = record.status != .merged && identity.mayAct(onOwner: record.owner)
        if let merged = record.mergedInto {
            cannotActReason = "This item was merged into \(merged) when their workflows joined: act on that one."
        } else if identity.role == .viewer {
            cannotActReason = "You are signed in as a viewer: you can read this item but not act on it."
        } else {
            cannotActReason = "Your teams do not include \(record.owner): you can read this item but not act on it."
        }
        // Decisions first (what the agent is waiting for), then the queue's own actions.
        let isApproval = record.exceptionClass == "approval_required"
        actions = ExceptionAction.allCases.filter { $0.next(from: record.status) != nil && $0.applies(toClass: record.exceptionClass) }
            .sorted { ($0.isDecision ? 0 : 1) < ($1.isDecision ? 0 : 1) }
            .map { action in
                Action(value: action.rawValue, label: Self.label(action),
                       primary: isApproval ? action == .approve : action == .retry || action == .reopen, danger: action.stops)
            }
        actionURL = "/exceptions/\(record.id)/actions"
    }

    /// The path, origin first, as nested hops: each hop the only child of the one before.
    static func tree(_ hops: [CausalHop], trigger: SpanReference) -> [Hop] {
        var child: [Hop] = []
        for hop in hops.reversed() {
            let node = hop.node
            let span = node?.span
            child = [Hop(
                spanID: hop.reference.spanID.hex, traceID: hop.reference.traceID.hex, traceShort: String(hop.reference.traceID.hex.prefix(8)),
                name: span?.name ?? "(not yet received)", service: node.map(\.service).flatMap(nonEmpty), kind: span.map { "\($0.kind)" } ?? "",
                status: span?.status.code.name, isError: span?.status.code == .error, relation: hop.relation.rawValue,
                isLink: hop.relation == .linkedFrom, isTrigger: hop.reference == trigger, isPlaceholder: node == nil,
                duration: span.map { RelativeTime.duration(nanos: $0.endTimeUnixNano - min($0.startTimeUnixNano, $0.endTimeUnixNano)) },
                start: span.map { RFC3339.format(unixNano: $0.startTimeUnixNano) } ?? "",
                attributes: keyValues(span?.attributes ?? []), hasAttributes: !(span?.attributes.isEmpty ?? true), children: child, hasChildren: !child.isEmpty)]
        }
        return child
    }

    static func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }

    static func keyValues(_ attributes: [Attribute]) -> [KeyValue] {
        attributes.map { KeyValue(key: $0.key, value: $0.value.displayText) }
    }

    static func label(_ action: ExceptionAction) -> String {
        switch action {
        case .ack: "Acknowledge"
        case .assign: "Assign"
        case .resolve: "Resolve"
        case .dismiss: "Dismiss as noise"
        case .reopen: "Reopen"
        case .approve: "Approve"
        case .deny: "Deny"
        case .retry: "Retry"
        case .abort: "Abort the run"
        }
    }
}
