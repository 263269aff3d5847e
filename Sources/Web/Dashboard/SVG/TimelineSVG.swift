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
        let drawn = shown.compactMap(\.index)
        let start = drawn.map { entries[$0].node.span.startTimeUnixNano }.min() ?? 0
        let end = max(drawn.map { entries[$0].node.span.endTimeUnixNano }.max() ?? 0, start + 1)
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
            guard let entryIndex = row.index else {
                svg += "<g class=\"trace-header\"><line x1=\"0\" x2=\"\(width)\" y1=\"\(y + 2)\" y2=\"\(y + 2)\"/>"
                svg += "<text x=\"4\" y=\"\(y + 16)\">trace \(row.trace.hex)</text></g>"
                continue
            }
            let entry = entries[entryIndex]
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
            guard let entryIndex = row.index else { continue }
            let entry = entries[entryIndex]
            guard let to = position[entry.node.reference] else { continue }
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
        return (svg, entries.count - drawn.count)
    }

    /// A row: a trace header (`index` nil) or the span `entries[index]` at a depth under its trace's roots.
    struct Row {
        var trace: TraceID
        var index: Int?
        var depth: Int
    }

    /// Traces by first start time (the workflow's order breaking ties); spans depth-first under
    /// each root, children by start. Works on indexes: entries carry whole spans, too big to move.
    static func ordered(_ entries: [Entry], traceOrder: [TraceID]) -> [Row] {
        var byTrace: [TraceID: [Int]] = [:]
        var traceStart: [TraceID: UInt64] = [:]
        for (index, entry) in entries.enumerated() {
            let span = entry.node.span
            byTrace[span.traceID, default: []].append(index)
            traceStart[span.traceID] = min(traceStart[span.traceID] ?? .max, span.startTimeUnixNano)
        }
        let rank = Dictionary(traceOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let traces = byTrace.keys.sorted { a, b in
            (traceStart[a] ?? 0, rank[a] ?? .max, a) < (traceStart[b] ?? 0, rank[b] ?? .max, b)
        }
        var rows: [Row] = []
        rows.reserveCapacity(entries.count + traces.count)
        for trace in traces {
            let spans = (byTrace[trace] ?? []).sorted { a, b in
                (entries[a].node.span.startTimeUnixNano, entries[a].node.span.spanID) < (entries[b].node.span.startTimeUnixNano, entries[b].node.span.spanID)
            }
            let present = Set(spans.map { entries[$0].node.span.spanID })
            var children: [SpanID: [Int]] = [:]
            var roots: [Int] = []
            for index in spans {
                let span = entries[index].node.span
                if let parent = span.parentSpanID, present.contains(parent), parent != span.spanID {
                    children[parent, default: []].append(index)
                } else {
                    roots.append(index)
                }
            }
            rows.append(Row(trace: trace, index: nil, depth: 0))
            var visited: Set<SpanID> = []
            var stack: [(Int, Int)] = roots.reversed().map { ($0, 0) }
            while let (index, depth) = stack.popLast() {
                let spanID = entries[index].node.span.spanID
                guard visited.insert(spanID).inserted else { continue }
                rows.append(Row(trace: trace, index: index, depth: depth))
                for child in (children[spanID] ?? []).reversed() { stack.append((child, depth + 1)) }
            }
            // Spans caught in a parent cycle are still drawn.
            for index in spans where !visited.contains(entries[index].node.span.spanID) {
                rows.append(Row(trace: trace, index: index, depth: 0))
            }
        }
        return rows
    }

    static func truncated(_ text: String, to limit: Int) -> String {
        text.count > max(limit, 8) ? String(text.prefix(max(limit, 8) - 1)) + "…" : text
    }
}
