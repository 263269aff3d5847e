import TraceModel

/// Workflows spread over linked traces, sent in shuffled order: each has `traces` traces of
/// `spansPerTrace` spans (a 4-ary tree inside each trace); trace k's root links to a span of
/// trace (k-1)/3 (a 3-ary tree of traces, as fan-out to workers and retries make), and every
/// 10th root also links to the trace before it (batch fan-in). Spans carry the same attributes
/// as the foundation workload, so the two rates compare.
struct WorkflowWorkload {
    let workflows: Int
    let traces: Int
    let spansPerTrace: Int

    func traceID(workflow: Int, trace: Int) -> TraceID {
        TraceID(high: 0xF10E_0000_0000_0000 | UInt64(workflow), low: UInt64(trace) + 1)
    }

    func spanID(trace: Int, position: Int) -> SpanID {
        SpanID(UInt64(trace * spansPerTrace + position) + 1)
    }

    /// Every span of workflow `workflow`, in creation order.
    func spans(workflow: Int) -> [Span] {
        var spans: [Span] = []
        spans.reserveCapacity(traces * spansPerTrace)
        for trace in 0..<traces {
            let id = traceID(workflow: workflow, trace: trace)
            let traceStart = 1_763_750_000_000_000_000 + UInt64(trace) * 1_000_000_000
            for position in 0..<spansPerTrace {
                var links: [SpanLink] = []
                if position == 0, trace > 0 {
                    let cause = (trace - 1) / 3
                    links.append(SpanLink(traceID: traceID(workflow: workflow, trace: cause),
                                          spanID: spanID(trace: cause, position: (trace * 7) % spansPerTrace)))
                    if trace % 10 == 0 {
                        links.append(SpanLink(traceID: traceID(workflow: workflow, trace: trace - 1), spanID: spanID(trace: trace - 1, position: 1)))
                    }
                }
                let start = traceStart + UInt64(position) * 1_000_000
                spans.append(Span(
                    traceID: id,
                    spanID: spanID(trace: trace, position: position),
                    parentSpanID: position == 0 ? nil : spanID(trace: trace, position: (position - 1) / 4),
                    name: position == 0 ? "process job" : "execute_tool step \(position % 9)",
                    kind: position == 0 ? .consumer : .internal,
                    startTimeUnixNano: start,
                    endTimeUnixNano: start + 500_000,
                    attributes: Workload.attributes(global: UInt64(trace * spansPerTrace + position), position: position),
                    links: links
                ))
            }
        }
        return spans
    }

    /// All workflows' spans shuffled (fixed seed) and cut into requests of `spansPerRequest`.
    func batches(spansPerRequest: Int) -> [TraceBatch] {
        var all = (0..<workflows).flatMap(spans(workflow:))
        var random = SplitMix64(seed: 0xC0FFEE)
        all.shuffle(using: &random)
        return stride(from: 0, to: all.count, by: spansPerRequest).map { start in
            let spans = Array(all[start..<min(start + spansPerRequest, all.count)])
            return TraceBatch(resourceGroups: [
                ResourceGroup(
                    resource: Resource(attributes: [Attribute("service.name", .string("workflow-agent"))]),
                    scopeGroups: [ScopeGroup(scope: InstrumentationScope(name: "bench", version: "1"), spans: spans)]
                ),
            ])
        }
    }
}

/// A small seeded generator, so shuffles and samples repeat run to run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
