/// What the span writer needs of a store: the plan spans are read into facts with, and a round
/// of requests recorded — stored, stitched, judged — in one transaction that commits before it
/// returns (acknowledged means durable).
protocol SpanRecorder: Sendable {
    var plan: FactPlan { get }
    func recordSpans(_ batches: [SpanRows], receivedAt: UInt64) async throws -> Recorded
}
