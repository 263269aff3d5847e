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

    /// An exception told from the story frozen into it when its spans aged out.
    init(record: ExceptionRecord, history: [ExceptionHistoryEntry], frozen: FrozenEvidence, typing: FailureTyping) throws {
        let byTrace = frozen.spansByTrace
        try self.init(record: record, history: history, lookup: frozen.lookup, counted: frozen.counted, typing: typing) {
            (byTrace[$0] ?? []).map(\.span)
        }
    }
}
