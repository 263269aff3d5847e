import Foundation
import TraceModel

/// One workflow of many linked traces with exceptions in it, for tests of several writers: trace
/// k's root links to a span of trace (k-1)/3, every 5th root also to the trace before it (fan-out
/// and fan-in, as retries and batches make); every 4th trace's tool call fails the same
/// non-transient way and its caller re-raises it (a wrapper: not counted); every 7th trace reads
/// stale connector data.
public enum LinkedWorkflowFixture {
    public static let t0: UInt64 = 1_700_000_000_000_000_000

    /// The trace id of trace `index`.
    public static func trace(_ index: Int) -> TraceID { .stub(0x7000 + UInt64(index)) }

    /// `traces` traces of 4 spans each.
    public static func spans(traces: Int) -> [Span] {
        var spans: [Span] = []
        for trace in 0..<traces {
            for position in 0..<4 {
                var links: [SpanLink] = []
                if position == 0, trace > 0 {
                    links.append(SpanLink(traceID: Self.trace((trace - 1) / 3), spanID: .stub(UInt64(1 + trace % 4))))
                    if trace % 5 == 0 { links.append(SpanLink(traceID: Self.trace(trace - 1), spanID: .stub(2))) }
                }
                let failure = failure(trace: trace, position: position)
                spans.append(Span.stub(trace: Self.trace(trace), span: .stub(UInt64(position + 1)), parent: position == 0 ? nil : .stub(UInt64(position)),
                                       name: position == 0 ? "process job" : "step \(position)", start: t0 + UInt64(trace * 10 + position),
                                       attributes: attributes(trace: trace, position: position), events: failure.map { [$0] } ?? [], links: links,
                                       status: failure == nil ? SpanStatus() : SpanStatus(code: .error, message: "declined")))
            }
        }
        return spans
    }

    static func attributes(trace: Int, position: Int) -> [Attribute] {
        if position == 3, trace % 4 == 1 {
            return [Attribute("gen_ai.tool.name", .string("payments.charge")), Attribute("gen_ai.tool.call.id", .string("call_\(trace)"))]
        }
        if position == 1, trace % 7 == 3 {
            return [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))]
        }
        return []
    }

    static func failure(trace: Int, position: Int) -> SpanEvent? {
        guard trace % 4 == 1, position == 3 || position == 2 else { return nil }
        return SpanEvent(timeUnixNano: t0 + UInt64(trace * 10 + position), name: "exception",
                         attributes: [Attribute("exception.type", .string("CardDeclined"))])
    }

    /// Requests of `size` spans, the traces in a shuffled (seeded) order, each trace's spans
    /// deepest first (as exporters send them: a child ends before its parent).
    public static func tracesShuffled(_ spans: [Span], seed: UInt64, size: Int = 5) -> [TraceBatch] {
        var random = SeededRandom(seed: seed)
        let traces = Dictionary(grouping: spans, by: \.traceID).values.map { $0.sorted { $0.startTimeUnixNano > $1.startTimeUnixNano } }
            .sorted { $0[0].traceID.hex < $1[0].traceID.hex }.shuffled(using: &random)
        let ordered = traces.flatMap { $0 }
        return stride(from: 0, to: ordered.count, by: size).map { TraceBatch.stub(service: "jobs", spans: Array(ordered[$0..<min($0 + size, ordered.count)])) }
    }

    /// Requests of 3 spans each in a shuffled (seeded) order.
    public static func requests(_ spans: [Span], seed: UInt64) -> [TraceBatch] {
        var random = SeededRandom(seed: seed)
        let shuffled = spans.shuffled(using: &random)
        return stride(from: 0, to: shuffled.count, by: 3).map { start in
            TraceBatch.stub(service: "jobs", spans: Array(shuffled[start..<min(start + 3, shuffled.count)]))
        }
    }
}
