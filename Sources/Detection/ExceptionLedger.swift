import Correlation

/// What filing exceptions needs of a store, inside the writer's transaction: the workflow a
/// detector judges, the exception filed for a pattern, and the writes that open, count, reopen
/// and fold one. Each store implements it; what to write is `ExceptionFiling`'s to decide.
public protocol ExceptionLedger {
    associatedtype Context: DetectionContext
    /// Workflow `workflow` as `detector` judges it (`settled`: it has gone quiet).
    func context(workflow: Int64, detector: String, settled: Bool) -> Context
    /// The exception filed for the pattern in the workflow, if any.
    func filed(_ dedupeKey: DedupeKey, workflow: Int64) throws -> FiledException?
    /// Opens `detection` as exception `id`, owned by `route`; nil when that id exists already
    /// (the same detection after a re-delivery or a restart), else the item as filed.
    func open(_ detection: Detection, id: String, trigger: SpanReference,
              route: (owner: String, slaNanos: UInt64, escalateTo: String?), workflow: Int64) throws -> FiledException?
    /// An active exception's pattern repeated: its count and summary are now these. `filed`
    /// answers the new count at once; the store may hold the write until `flush`.
    func repeated(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws
    /// A resolved or dismissed exception's pattern recurred: it is open again with this count and
    /// summary, its decision cleared.
    func reopened(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws
    /// The pattern's trigger moved (an earlier fact arrived, or workflows merged): the item is
    /// now exception `id`, triggered by `trigger` — everything else as `exception` stands (an
    /// `id` merged away in this workflow before takes it over) — and `exception` is marked merged
    /// into it. Returns the item as filed now; nil, changing nothing, when a live item has that id.
    func rekey(_ exception: FiledException, to id: String, trigger: SpanReference, _ detection: Detection, workflow: Int64) throws -> FiledException?
    /// Adds the one occurrence a detection folded into `id` brings, unless one was folded into it
    /// already; whether it did.
    func foldOnce(into id: String) throws -> Bool
    /// Resolves `exception` (of pattern `dedupeKey` in `workflow`) as of now, by Causeway.
    func resolve(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64) throws
    /// Marks `exception`, filed in `workflow`, merged into item `target`.
    func merge(_ exception: FiledException, workflow: Int64, into target: String) throws
    /// Appends a line to the exception's history (and whatever the store notifies of it).
    func appendHistory(_ id: String, action: String, note: String, owner: String?) throws
    /// Whether any of `spans` was received after the closed (resolved or dismissed) `exception`
    /// was closed; false when it is not closed or none is stored. (On PostgreSQL the two times may
    /// come from two instances' clocks.)
    func arrived(_ spans: [SpanReference], afterClosing exception: FiledException) throws -> Bool
    /// Writes what the store held back (repeats); called at the end of every round.
    func flush() throws
}
