import Correlation
import Detection
import TraceModel

extension ExceptionDetail {
    /// An exception with its history and its story read over `lookup` (its workflow's spans as
    /// they are now, or its frozen evidence): the causal path to its trigger, and receipts for
    /// the attempts its pattern counted, then for the tool calls on the path.
    init(record: ExceptionRecord, history: [ExceptionHistoryEntry], lookup: some SpanLookup, counted: [SpanReference],
         typing: FailureTyping, spansOfTrace: (TraceID) throws -> [Span]) throws {
        let path = try CausalPath.to(record.trigger, in: lookup)
        let references = counted + (path?.hops.map(\.reference) ?? [])
        let receipts = try ToolReceipt.receipts(of: references, in: lookup, typing: typing, spansOfTrace: spansOfTrace)
        self.init(record: record, history: history, causalPath: path, toolReceipts: receipts)
    }

    /// An exception told from the story frozen into it when its spans aged out, if any, and from
    /// the spans stored now (`live`): an item reopened after its story was frozen (its pattern
    /// recurred in a workflow that lived on) shows the attempts that reopened it beside the ones
    /// frozen in, and its path still reaches its aged-out trigger.
    init(record: ExceptionRecord, history: [ExceptionHistoryEntry], frozen: FrozenEvidence?, live: some SpanLookup,
         liveCounted: [SpanReference], typing: FailureTyping, liveSpansOfTrace: @escaping (TraceID) throws -> [Span]) throws {
        guard let frozen else {
            try self.init(record: record, history: history, lookup: live, counted: liveCounted, typing: typing, spansOfTrace: liveSpansOfTrace)
            return
        }
        let byTrace = frozen.spansByTrace
        try self.init(record: record, history: history, lookup: EvidenceLookup(frozen: frozen.lookup, live: live),
                      counted: frozen.counted + liveCounted, typing: typing) { trace in
            try byTrace[trace].map { $0.map(\.span) } ?? liveSpansOfTrace(trace)
        }
    }
}
