import TraceModel

/// Synthetic agent traffic: traces of tool calls, model calls and retries, with realistic
/// attribute counts, an exception event on failures and links from retry traces.
struct Workload {
    let spansPerRequest: Int
    let requests: Int

    /// Request `index` as a batch of `spansPerRequest` spans with ids unique across the run.
    func batch(_ index: Int) -> TraceBatch {
        var spans: [Span] = []
        spans.reserveCapacity(spansPerRequest)
        let spansPerTrace = 16
        for offset in 0..<spansPerRequest {
            let global = UInt64(index * spansPerRequest + offset)
            let trace = TraceID(high: 0xCA05_E3A7_0000_0000 | UInt64(index), low: global / UInt64(spansPerTrace) + 1)
            let position = Int(global % UInt64(spansPerTrace))
            let spanID = SpanID(global + 1)
            let parent = position == 0 ? nil : SpanID(global - UInt64(position) + 1)
            let start = 1_763_750_000_000_000_000 + global * 1_000_000
            let failed = position % 7 == 3
            var attributes = Self.attributes(global: global, position: position)
            if failed { attributes.append(Attribute("error.type", .string("timeout"))) }
            spans.append(Span(
                traceID: trace,
                spanID: spanID,
                parentSpanID: parent,
                name: position == 0 ? "invoke_agent refund-agent" : "execute_tool vendor.lookup",
                kind: position == 0 ? .server : .client,
                startTimeUnixNano: start,
                endTimeUnixNano: start + 750_000,
                attributes: attributes,
                events: failed ? [SpanEvent(timeUnixNano: start + 500_000, name: "exception", attributes: [
                    Attribute("exception.type", .string("TimeoutError")),
                    Attribute("exception.message", .string("vendor API did not answer within 30s")),
                ])] : [],
                links: position == 0 && global >= UInt64(spansPerTrace)
                    ? [SpanLink(traceID: TraceID(high: trace.high, low: trace.low - 1), spanID: SpanID(global - UInt64(spansPerTrace) + 1))]
                    : [],
                status: failed ? SpanStatus(code: .error, message: "timeout") : SpanStatus()
            ))
        }
        return TraceBatch(resourceGroups: [
            ResourceGroup(
                resource: Resource(attributes: [
                    Attribute("service.name", .string("refund-agent")),
                    Attribute("service.version", .string("1.4.2")),
                    Attribute("telemetry.sdk.language", .string("python")),
                ]),
                scopeGroups: [ScopeGroup(scope: InstrumentationScope(name: "opentelemetry.instrumentation.openai", version: "0.40b0"), spans: spans)]
            ),
        ])
    }

    /// The attributes of a typical agent span: GenAI tool call fields, token counts, a connector read.
    static func attributes(global: UInt64, position: Int) -> [Attribute] {
        [
            Attribute("gen_ai.operation.name", .string(position % 2 == 0 ? "execute_tool" : "chat")),
            Attribute("gen_ai.tool.name", .string("vendor.lookup")),
            Attribute("gen_ai.tool.call.id", .string("call_\(global)")),
            Attribute("gen_ai.request.model", .string("gpt-4.1-mini")),
            Attribute("gen_ai.usage.input_tokens", .int(Int64(400 + position))),
            Attribute("gen_ai.usage.output_tokens", .int(Int64(80 + position))),
            Attribute("connector.name", .string("vendor-master")),
            Attribute("connector.data.age_ms", .int(Int64(position) * 60_000)),
            Attribute("workflow.step", .int(Int64(position))),
            Attribute("agent.name", .string("refund-agent")),
        ]
    }
}
