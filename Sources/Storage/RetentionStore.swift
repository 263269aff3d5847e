/// What retention (DESIGN.md §10) asks of a store, in batches short enough never to stall ingest.
/// A workflow ages out whole once nothing has been received in it for the retention period and
/// it holds no open or acknowledged exception; a workflow that never goes quiet loses its old
/// traces one by one instead. Before spans go, the exceptions of their workflow get their story
/// frozen in (`FrozenEvidence`), so an old item still shows its path, receipts and evidence.
public protocol RetentionStore: Sendable {
    /// Deletes up to `limit` workflows with ids above `after` last received into before `cutoff`
    /// and not held by an active exception.
    func sweepExpired(receivedBefore cutoff: UInt64, after: Int64, limit: Int) async throws -> SweptWorkflows

    /// Ages out the traces, all of whose spans were received before `cutoff`, of workflows that
    /// live on, among the next rows after `cursor` in first-received order; the membership stays,
    /// marked aged out (the trace answers as unknown, a late span of it joins the workflow again).
    /// `next` is where the following batch starts, nil when the sweep is done.
    func sweepAgedTraces(receivedBefore cutoff: UInt64, after cursor: AgedTraceCursor?) async throws
        -> (traces: Int, spans: Int, next: AgedTraceCursor?)

    /// Gives the space the sweeps freed back, a little at a time.
    func reclaimSpace() async throws
}

extension RetentionStore {
    func sweepExpired(receivedBefore cutoff: UInt64, after: Int64) async throws -> SweptWorkflows {
        try await sweepExpired(receivedBefore: cutoff, after: after, limit: 200)
    }
}
