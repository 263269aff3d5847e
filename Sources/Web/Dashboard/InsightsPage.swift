import Storage

/// `GET /insights`: the queue figures as server-drawn charts, and what to redesign first.
struct InsightsPage {
    var chrome: PageChrome
    var figures: [Figure]
    var charts: [Chart]
    var recurring: [RecurringTable]
    var empty: Bool

    struct Figure {
        var label: String
        var value: String
        var hint: String
    }

    struct Chart {
        var title: String
        var svg: String
        var caption: String
    }

    struct RecurringTable {
        var title: String
        var rows: [RecurringRow]
        var hasRows: Bool
    }

    struct RecurringRow {
        var exceptionClass: String
        var what: String
        var summary: String
        var exceptions: Int
        var occurrences: Int
    }

    init(statistics: QueueStatistics, recurring7: [RecurringSignature], recurring30: [RecurringSignature], viewer: Viewer) {
        chrome = PageChrome(title: "Insights", section: .insights, viewer: viewer)
        let total = statistics.total
        empty = total.open + total.acknowledged + total.resolved + total.dismissed == 0
        func time(_ seconds: Double?) -> String { seconds.map { RelativeTime.words(seconds: $0) } ?? "—" }
        func share(_ value: Double?) -> String { value.map { "\(Int(($0 * 100).rounded())) %" } ?? "—" }
        figures = [
            Figure(label: "Open", value: "\(total.open + total.acknowledged)", hint: "\(total.acknowledged) acknowledged"),
            Figure(label: "Breached", value: "\(total.breached)", hint: "past their due time"),
            Figure(label: "Resolved within SLA", value: share(total.resolvedWithinSLA), hint: "of \(total.resolved) resolved"),
            Figure(label: "Time to first action", value: time(total.medianTimeToFirstActionSeconds), hint: "median"),
            Figure(label: "Time to resolution", value: time(total.medianTimeToResolutionSeconds), hint: "median"),
            Figure(label: "Approval turnaround", value: time(statistics.approvalTurnaroundSeconds), hint: "median, approval_required"),
            Figure(label: "Exception tax", value: time(statistics.reviewerSecondsPerResolved), hint: "reviewer time per resolved item"),
        ]
        func openBars(_ groups: [String: QueueFigures]) -> [BarChartSVG.Bar] {
            var bars: [BarChartSVG.Bar] = []
            for (key, figures) in groups {
                let active = figures.open + figures.acknowledged
                guard active > 0 else { continue }
                bars.append(BarChartSVG.Bar(label: key, value: Double(active), text: "\(active)", tone: figures.breached > 0 ? "bad" : ""))
            }
            return bars.sorted { ($1.value, $0.label) < ($0.value, $1.label) }
        }
        func slaBars(_ groups: [String: QueueFigures]) -> [BarChartSVG.Bar] {
            groups.compactMap { key, figures in
                figures.resolvedWithinSLA.map { BarChartSVG.Bar(label: key, value: $0, text: share($0), tone: $0 < 0.8 ? "warn" : "") }
            }.sorted { ($0.value, $0.label) < ($1.value, $1.label) }
        }
        func timeBars(_ groups: [String: QueueFigures], _ value: (QueueFigures) -> Double?) -> [BarChartSVG.Bar] {
            groups.compactMap { key, figures in value(figures).map { BarChartSVG.Bar(label: key, value: $0, text: time($0)) } }
                .sorted { ($0.value, $0.label) > ($1.value, $1.label) }
        }
        let ageLabels = ["under 1 h", "1–4 h", "4–24 h", "1–7 days", "over 7 days"]
        let ages = statistics.activeAgeCounts.enumerated().map { index, count in
            BarChartSVG.Bar(label: ageLabels[index], value: Double(count), text: "\(count)", tone: index >= 3 && count > 0 ? "bad" : "")
        }
        var charts: [Chart] = []
        func add(_ title: String, _ bars: [BarChartSVG.Bar], maximum: Double? = nil, caption: String) {
            guard !bars.isEmpty else { return }
            charts.append(Chart(title: title, svg: BarChartSVG.render(bars, maximum: maximum, label: title), caption: caption))
        }
        add("Open items by class", openBars(statistics.byClass), caption: "Red: some are past their due time.")
        add("Open items by owner", openBars(statistics.byOwner), caption: "Who is carrying the queue.")
        add("Age of open items", ages, caption: "Items older than a day have usually been forgotten.")
        add("Resolved within SLA, by class", slaBars(statistics.byClass), maximum: 1, caption: "Share of resolved items closed by their due time.")
        add("Resolved within SLA, by owner", slaBars(statistics.byOwner), maximum: 1, caption: "Share of resolved items closed by their due time.")
        add("Time to first action, by class", timeBars(statistics.byClass, \.medianTimeToFirstActionSeconds), caption: "Median.")
        add("Time to resolution, by class", timeBars(statistics.byClass, \.medianTimeToResolutionSeconds), caption: "Median.")
        self.charts = charts
        func table(_ title: String, _ signatures: [RecurringSignature]) -> RecurringTable {
            let rows = signatures.map {
                RecurringRow(exceptionClass: $0.exceptionClass, what: [$0.service, $0.tool].compactMap { $0 }.joined(separator: " · "),
                             summary: $0.summary, exceptions: $0.exceptions, occurrences: $0.occurrences)
            }
            return RecurringTable(title: title, rows: rows, hasRows: !rows.isEmpty)
        }
        recurring = [table("Most recurring, last 7 days", recurring7), table("Most recurring, last 30 days", recurring30)]
    }
}
