import Detection
import Storage
import TraceModel

/// `GET /`: the queue, most urgent first, with filters, counts per status and a next-page link.
struct QueuePage {
    var chrome: PageChrome
    var rows: [Row]
    var counts: [StatusCount]
    var statusOptions: [Option]
    var classOptions: [Option]
    var ownerOptions: [Option]
    var severityOptions: [Option]
    var breachedOptions: [Option]
    var nextHref: String?
    var filtered: Bool
    var shown: String
    var hasRows: Bool

    struct Row {
        var id: String
        var href: String
        var severity: String
        var exceptionClass: String
        var summary: String
        var owner: String
        var status: String
        var due: String
        var breached: Bool
        var occurrences: Int
        var age: String
        var opened: String
    }

    struct StatusCount {
        var status: String
        var count: Int
        var href: String
        var current: Bool
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }


    init(query: ExceptionQuery, parameters: [(String, String)], page: (items: [ExceptionRecord], next: ExceptionCursor?),
         counts: [ExceptionStatus: Int], facets: ExceptionFacets, now: UInt64, viewer: Viewer) {
        chrome = PageChrome(title: "Queue", section: .queue, viewer: viewer)
        rows = page.items.map { record in
            Row(id: record.id, href: "/exceptions/\(record.id)", severity: record.severity, exceptionClass: record.exceptionClass,
                summary: record.summary, owner: record.owner, status: record.status.rawValue,
                due: record.status.isActive ? RelativeTime.due(record.dueAtUnixNano, now: now) : record.status.rawValue,
                breached: record.breached(now: now), occurrences: record.occurrences,
                age: RelativeTime.words(seconds: RelativeTime.seconds(now, minus: record.openedAtUnixNano)),
                opened: RFC3339.format(unixNano: record.openedAtUnixNano))
        }
        let current = query.hasStatus ? query.filter.statuses.first?.rawValue : nil
        let kept = parameters.filter { $0.0 != "status" && $0.0 != "cursor" }
        self.counts = [ExceptionStatus.open, .acknowledged, .resolved, .dismissed].map { status in
            StatusCount(status: status.rawValue, count: counts[status] ?? 0,
                        href: Self.href(kept + [("status", status.rawValue)]), current: current == status.rawValue)
        }
        statusOptions = [Option(value: "", label: "unresolved", selected: current == nil)]
            + ["open", "acknowledged", "resolved", "dismissed"].map { Option(value: $0, label: $0, selected: current == $0) }
        classOptions = Self.options(facets.classes, selected: query.filter.exceptionClass, any: "any class")
        ownerOptions = Self.options(facets.owners, selected: query.filter.owner, any: "any owner")
        severityOptions = Self.options(["critical", "high", "normal"], selected: query.filter.severity, any: "any severity")
        let breached = query.filter.breached.map { $0 ? "true" : "false" }
        breachedOptions = [Option(value: "", label: "any due time", selected: breached == nil),
                           Option(value: "true", label: "breached", selected: breached == "true"),
                           Option(value: "false", label: "within SLA", selected: breached == "false")]
        nextHref = page.next.map { Self.href(parameters.filter { $0.0 != "cursor" } + [("cursor", $0.text)]) }
        filtered = !parameters.filter { $0.0 != "cursor" }.isEmpty
        shown = current ?? "unresolved"
        hasRows = !rows.isEmpty
    }

    static func options(_ values: [String], selected: String?, any: String) -> [Option] {
        var all = values
        if let selected, !all.contains(selected) { all.append(selected) }
        return [Option(value: "", label: any, selected: selected == nil)] + all.map { Option(value: $0, label: $0, selected: $0 == selected) }
    }

    static func href(_ parameters: [(String, String)]) -> String {
        parameters.isEmpty ? "/" : "/?" + parameters.map { "\(HTMLText.queryValue($0.0))=\(HTMLText.queryValue($0.1))" }.joined(separator: "&")
    }
}
