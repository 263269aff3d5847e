import Correlation
import TraceModel

/// The workflow as a waterfall across traces, drawn by the server: one row per span (each trace's
/// spans in tree order under a trace header), bars on one time axis, errors red, exception
/// triggers flagged and linked to their page, and an arrow for every link between spans.
struct TimelineSVG {
    /// A span to draw, with the exception it triggered, if any.
    struct Entry {
        var node: CausalNode
        var exceptionID: String?
    }

    static let rowHeight = 22
    static let labelWidth = 300
    static let chartWidth = 700
    static var width: Int { labelWidth + chartWidth + 20 }

    /// Draws at most `maxRows` spans; returns the SVG and how many spans it left out.
    static func render(_ entries: [Entry], traceOrder: [TraceID], maxRows: Int) -> (svg: String, omitted: Int) {
        let rows = ordered(entries, traceOrder: traceOrder)
        let shown = rows.prefix(maxRows)
        let spans = shown.compactMap(\.entry)
        let start = spans.map(\.node.span.startTimeUnixNano).min() ?? 0
        let end = max(spans.map(\.node.span.endTimeUnixNano).max() ?? 0, start + 1)
        let scale = Double(chartWidth) / Double(end - start)
        func x(_ time: UInt64) -> Int { labelWidth + Int((Double(time > start ? time - start : 0) * scale).rounded()) }

        let height = (shown.count + 1) * rowHeight + 10
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" aria-label="workflow timeline">\
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">\
            <path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>\
            <text class="axis" x="\(labelWidth)" y="14">0 ms</text>\
            <text class="axis" x="\(labelWidth + chartWidth)" y="14" text-anchor="end">\(HTMLText.escape(RelativeTime.duration(nanos: end - start)))</text>
            """
        var position: [SpanReference: (row: Int, startX: Int, endX: Int)] = [:]
        for (index, row) in shown.enumerated() {
            let y = (index + 1) * rowHeight
            guard let entry = row.entry else {
                svg += "<g class=\"trace-header\"><line x1=\"0\" x2=\"\(width)\" y1=\"\(y + 2)\" y2=\"\(y + 2)\"/>"
                svg += "<text x=\"4\" y=\"\(y + 16)\">trace \(row.trace.hex)</text></g>"
                continue
            }
            let span = entry.node.span
            let left = x(span.startTimeUnixNano)
            let right = max(left + 2, x(span.endTimeUnixNano))
            position[entry.node.reference] = (index, left, right)
            let failed = span.status.code == .error
            let indent = min(row.depth, 12) * 10
            svg += "<g class=\"span\(failed ? " error" : "")\(entry.exceptionID != nil ? " trigger" : "")\" data-span-id=\"\(span.spanID.hex)\">"
            svg += "<title>\(HTMLText.escape("\(span.name) · \(entry.node.service) · \(RelativeTime.duration(nanos: span.endTimeUnixNano - min(span.startTimeUnixNano, span.endTimeUnixNano)))\(failed ? " · error" : "")"))</title>"
            svg += "<text class=\"label\" x=\"\(4 + indent)\" y=\"\(y + 15)\">\(HTMLText.escape(truncated(span.name, to: 40 - indent / 8)))</text>"
            svg += "<rect class=\"bar\" x=\"\(left)\" y=\"\(y + 5)\" width=\"\(right - left)\" height=\"12\" rx=\"2\"/>"
            if let exceptionID = entry.exceptionID {
                svg += "<a href=\"/exceptions/\(HTMLText.escape(exceptionID))\"><circle class=\"flag\" cx=\"\(min(right + 8, width - 6))\" cy=\"\(y + 11)\" r=\"5\"/>"
                svg += "<title>\(HTMLText.escape(exceptionID))</title></a>"
            }
            svg += "</g>"
        }
        for row in shown {
            guard let entry = row.entry, let to = position[entry.node.reference] else { continue }
            for link in entry.node.span.links {
                guard let from = position[SpanReference(traceID: link.traceID, spanID: link.spanID)] else { continue }
                let y1 = (from.row + 1) * rowHeight + 11
                let y2 = (to.row + 1) * rowHeight + 11
                let x1 = from.endX
                let x2 = to.startX
                // Leaves the cause rightwards and enters the linked span from the left.
                svg += "<path class=\"link\" d=\"M\(x1),\(y1) C\(x1 + 40),\(y1) \(x2 - 40),\(y2) \(x2),\(y2)\" marker-end=\"url(#arrow)\"/>"
            }
        }
        svg += "</svg>"
        return (svg, rows.filter { $0.entry != nil }.count - spans.count)
    }

    /// A row: a trace header (entry nil) or a span at a depth under its trace's roots.
    struct Row {
        var trace: TraceID
        var entry: Entry?
        var depth: Int
    }

    /// Traces by first start time (the workflow's order breaking ties); spans depth-first under each root, children by start.
    static func ordered(_ entries: [Entry], traceOrder: [TraceID]) -> [Row] {
        let byTrace = Dictionary(grouping: entries, by: \.node.span.traceID)
        let rank = Dictionary(traceOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let traces = byTrace.keys.sorted { a, b in
            let startA = byTrace[a]?.map(\.node.span.startTimeUnixNano).min() ?? 0
            let startB = byTrace[b]?.map(\.node.span.startTimeUnixNano).min() ?? 0
            return (startA, rank[a] ?? .max, a.hex) < (startB, rank[b] ?? .max, b.hex)
        }
        var rows: [Row] = []
        for trace in traces {
            let spans = (byTrace[trace] ?? []).sorted { ($0.node.span.startTimeUnixNano, $0.node.span.spanID.hex) < ($1.node.span.startTimeUnixNano, $1.node.span.spanID.hex) }
            let present = Set(spans.map(\.node.span.spanID))
            var children: [SpanID: [Entry]] = [:]
            var roots: [Entry] = []
            for entry in spans {
                if let parent = entry.node.span.parentSpanID, present.contains(parent), parent != entry.node.span.spanID {
                    children[parent, default: []].append(entry)
                } else {
                    roots.append(entry)
                }
            }
            rows.append(Row(trace: trace, entry: nil, depth: 0))
            var visited: Set<SpanID> = []
            var stack: [(Entry, Int)] = roots.reversed().map { ($0, 0) }
            while let (entry, depth) = stack.popLast() {
                guard visited.insert(entry.node.span.spanID).inserted else { continue }
                rows.append(Row(trace: trace, entry: entry, depth: depth))
                for child in (children[entry.node.span.spanID] ?? []).reversed() { stack.append((child, depth + 1)) }
            }
            // Spans caught in a parent cycle are still drawn.
            for entry in spans where !visited.contains(entry.node.span.spanID) {
                rows.append(Row(trace: trace, entry: entry, depth: 0))
            }
        }
        return rows
    }

    static func truncated(_ text: String, to limit: Int) -> String {
        text.count > max(limit, 8) ? String(text.prefix(max(limit, 8) - 1)) + "…" : text
    }
}
