import TraceModel

/// Joins traces into workflows, one round (one write transaction) at a time. A link joins the
/// linking trace's workflow with the linked trace's; the linked trace becomes a member even
/// before any of its spans arrive, so whatever order the pieces come in, they meet in one
/// workflow. Traces new in a round are grouped in memory first (no workflow is created only to
/// be merged away); workflows already stored merge smaller into larger.
public struct WorkflowStitcher<Membership: WorkflowMembership> {
    public let membership: Membership
    /// The workflow each trace this round touched was settled into (a later component of the
    /// round may merge it away: `workflow(of:)` follows `absorbedInto`).
    private var result: [TraceID: Int64] = [:]
    /// Each workflow's record as the round last left it.
    private var latest: [Int64: WorkflowRecord] = [:]
    /// The workflow each one merged away this round went into.
    private var absorbedInto: [Int64: Int64] = [:]
    /// Each merge made, as (absorbed, survivor) workflow ids.
    public private(set) var merges: [(absorbed: Int64, survivor: Int64)] = []
    /// The workflows created this round (of traces no workflow held).
    public private(set) var created: [Int64] = []

    public init(membership: Membership) {
        self.membership = membership
    }

    /// Stitches one round: `traces` have new spans, `links` go from a trace to a linked trace.
    public mutating func stitch(traces: some Sequence<TraceID>, links: [(from: TraceID, to: TraceID)]) throws {
        var sets = DisjointSets()
        for trace in traces { sets.add(trace) }
        for link in links { sets.union(link.from, link.to) }
        for component in sets.components() {
            let final = try settle(component)
            latest[final.id] = final
            for trace in component { result[trace] = final.id }
        }
    }

    /// Makes one workflow of `component`: merges the stored workflows among its traces into the
    /// largest, then adds the traces no workflow held yet.
    private mutating func settle(_ component: [TraceID]) throws -> WorkflowRecord {
        var stored: [Int64: WorkflowRecord] = [:]
        var fresh: [TraceID] = []
        for trace in component {
            if let record = try workflow(of: trace) ?? membership.workflow(containing: trace) {
                stored[record.id] = record
            } else {
                fresh.append(trace)
            }
        }
        let bySize = stored.values.sorted { ($0.traceCount, -$0.id) > ($1.traceCount, -$1.id) }
        guard var survivor = bySize.first else {
            let record = try membership.createWorkflow(for: fresh.sorted())
            created.append(record.id)
            return record
        }
        for absorbed in bySize.dropFirst() {
            survivor = try membership.merge(absorbed, into: survivor)
            merges.append((absorbed.id, survivor.id))
            absorbedInto[absorbed.id] = survivor.id
            latest[absorbed.id] = nil
        }
        if !fresh.isEmpty { survivor = try membership.add(fresh.sorted(), to: survivor) }
        return survivor
    }

    /// The workflow holding `trace` as this round left it (for traces the round touched): the
    /// one it was settled into, or the one that absorbed it later in the round.
    public func workflow(of trace: TraceID) -> WorkflowRecord? {
        guard var id = result[trace] else { return nil }
        while let next = absorbedInto[id] { id = next }
        return latest[id]
    }
}

/// Union-find over trace ids, for one round.
struct DisjointSets {
    private var parent: [TraceID: TraceID] = [:]

    mutating func add(_ trace: TraceID) {
        if parent[trace] == nil { parent[trace] = trace }
    }

    mutating func root(_ trace: TraceID) -> TraceID {
        add(trace)
        var root = trace
        while let next = parent[root], next != root { root = next }
        var node = trace
        while let next = parent[node], next != root {
            parent[node] = root
            node = next
        }
        return root
    }

    mutating func union(_ first: TraceID, _ second: TraceID) {
        let a = root(first), b = root(second)
        if a != b { parent[max(a, b)] = min(a, b) }
    }

    /// The sets, each sorted, in order of their smallest trace.
    mutating func components() -> [[TraceID]] {
        var groups: [TraceID: [TraceID]] = [:]
        for trace in Array(parent.keys) { groups[root(trace), default: []].append(trace) }
        return groups.keys.sorted().map { groups[$0]!.sorted() }
    }
}
