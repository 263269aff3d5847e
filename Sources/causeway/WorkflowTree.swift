import Foundation
import TraceModel

/// Renders the API's workflow JSON (`GET /api/v1/traces/{id}`) as an indented tree across
/// traces: children under their parent, a linked trace's root under the span it links to
/// (marked `⤷ link`), spans that never arrived as placeholders. All span data is escaped.
struct WorkflowTree {
    private struct Node {
        var key: String
        var json: JSONValue?
        var start: Double
    }

    private let workflow: JSONValue
    private var nodes: [String: Node] = [:]
    private var children: [String: [String]] = [:]
    private var roots: [String] = []
    private var printed: Set<String> = []
    private var lines: [String] = []

    init(workflow: JSONValue) {
        self.workflow = workflow
    }

    static func key(_ reference: JSONValue?) -> String {
        (reference?["trace_id"]?.stringValue ?? "?") + "/" + (reference?["span_id"]?.stringValue ?? "?")
    }

    /// The tree as lines of text.
    mutating func render() -> String {
        let spans = workflow["spans"]?.arrayValue ?? []
        for span in spans {
            let key = Self.key(span)
            nodes[key] = Node(key: key, json: span, start: Double(span["start_time_unix_nano"]?.stringValue ?? "") ?? 0)
        }
        for placeholder in workflow["placeholders"]?.arrayValue ?? [] {
            let key = Self.key(placeholder)
            nodes[key] = Node(key: key, json: nil, start: -1)
            roots.append(key)
        }
        for span in spans {
            if let cause = span["cause"] {
                children[Self.key(cause), default: []].append(Self.key(span))
            } else {
                roots.append(Self.key(span))
            }
        }
        for (parent, list) in children {
            children[parent] = list.sorted { (nodes[$0]?.start ?? 0, $0) < (nodes[$1]?.start ?? 0, $1) }
        }
        roots.sort { (nodes[$0]?.start ?? 0, $0) < (nodes[$1]?.start ?? 0, $1) }

        let traces = workflow["traces"]?.arrayValue ?? []
        let placeholderCount = workflow["placeholders"]?.arrayValue.count ?? 0
        lines.append("workflow \(TerminalText.escape(workflow["workflow_id"]?.stringValue ?? "?"))"
            + " · \(traces.count) trace\(traces.count == 1 ? "" : "s") · \(spans.count) span\(spans.count == 1 ? "" : "s")"
            + (placeholderCount > 0 ? " · \(placeholderCount) missing" : ""))
        for root in roots {
            emit(root, prefix: "", connector: "", childPrefix: "", parentTrace: nil)
        }
        // Spans whose causes form a cycle are reachable from no root: show them, cut.
        let leftovers = nodes.values.filter { !printed.contains($0.key) }.sorted { ($0.start, $0.key) < ($1.start, $1.key) }
        for node in leftovers where !printed.contains(node.key) {
            lines.append("(link cycle: the spans below link to each other; cut here)")
            emit(node.key, prefix: "", connector: "", childPrefix: "", parentTrace: nil)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private mutating func emit(_ key: String, prefix: String, connector: String, childPrefix: String, parentTrace: String?) {
        guard printed.insert(key).inserted, let node = nodes[key] else { return }
        let trace = String(key.prefix { $0 != "/" })
        lines.append(prefix + connector + describe(node, traceChanged: trace != parentTrace))
        var below = children[key] ?? []
        if let span = node.json {
            // Consumers that link here but were placed under another cause.
            for consumer in span["linked_by"]?.arrayValue ?? [] {
                let consumerKey = Self.key(consumer)
                if !below.contains(consumerKey) { below.append("also:" + consumerKey) }
            }
        }
        for (index, child) in below.enumerated() {
            let last = index == below.count - 1
            let nextConnector = last ? "└─ " : "├─ "
            let nextChildPrefix = childPrefix + (last ? "   " : "│  ")
            if child.hasPrefix("also:") {
                let consumerKey = String(child.dropFirst(5))
                let name = nodes[consumerKey]?.json?["name"]?.stringValue.map(TerminalText.escape) ?? "?"
                lines.append(childPrefix + nextConnector + "⇢ also linked by \(name) (\(consumerKey))")
                continue
            }
            emit(child, prefix: childPrefix, connector: nextConnector, childPrefix: nextChildPrefix, parentTrace: trace)
        }
    }

    private func describe(_ node: Node, traceChanged: Bool) -> String {
        guard let span = node.json else {
            return "? missing span \(node.key) (referenced, not received)"
        }
        var text = ""
        let cause = span["cause"]
        if cause?["relation"]?.stringValue == "linked_from" { text += "⤷ link  " }
        text += TerminalText.escape(span["name"]?.stringValue ?? "")
        text += "  [" + TerminalText.escape(span["service"]?.stringValue ?? "") + "]"
        if let kind = span["kind"]?.stringValue, kind != "unspecified", kind != "internal" { text += " " + kind }
        text += "  " + Self.duration(milliseconds: span["duration_ms"]?.doubleValue ?? 0)
        if span["status"]?.stringValue == "error" {
            let message = span["status_message"]?.stringValue ?? ""
            text += "  ✗ ERROR" + (message.isEmpty ? "" : ": " + TerminalText.escape(message))
        }
        let alternatives = cause?["alternatives"]?.arrayValue.count ?? 0
        if alternatives > 0 { text += "  (+\(alternatives) more link\(alternatives == 1 ? "" : "s"))" }
        if traceChanged { text += "  · trace " + (span["trace_id"]?.stringValue ?? "?") }
        text += "  · span " + (span["span_id"]?.stringValue ?? "?")
        return text
    }

    static func duration(milliseconds: Double) -> String {
        if milliseconds >= 1000 { return String(format: "%.2f s", milliseconds / 1000) }
        return String(format: "%.1f ms", milliseconds)
    }
}
