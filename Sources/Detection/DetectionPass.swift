/// One writer round's detection, the same for every store: merges carry the absorbed
/// workflows' counts, items and approvals into the survivors; the round's facts are counted;
/// then the round judges the keys of new facts, every key of workflows that merges joined, and
/// every key of the detectors that judge on each round in the workflows that got new spans; and
/// the settle windows of workflows holding facts of settling patterns (re)start.
public struct DetectionPass<Ledger: FactLedger> {
    public let detectors: [any Detector]
    public let byName: [String: any Detector]
    public let filing: ExceptionFiling<Ledger>
    /// How long a workflow must be quiet before its settling patterns are judged.
    public let settleAfterNanos: UInt64

    /// `byName`: `detectors` by name (the store keeps it; a pass is made every round).
    public init(detectors: [any Detector], byName: [String: any Detector], filing: ExceptionFiling<Ledger>, settleAfterNanos: UInt64) {
        self.detectors = detectors
        self.byName = byName
        self.filing = filing
        self.settleAfterNanos = settleAfterNanos
    }

    var ledger: Ledger { filing.ledger }

    /// Runs the pass at `now`: `facts` new this round (each judged), `dropped` facts taken back
    /// (a wrapper's failure once its child's is known), `workflows` those that got new spans.
    /// Returns the exceptions it opened.
    public func run(merges: [(absorbed: Int64, survivor: Int64)], facts: [(key: WorkflowKey, count: Int)], dropped: [WorkflowKey],
                    workflows: Set<Int64>, now: UInt64) throws -> [String] {
        if !merges.isEmpty { try ledger.mergeWorkflows(merges) }
        var round = DetectionRound(detectors: byName, filing: filing, settled: false)
        var deltas: [WorkflowKey: Int] = [:]
        for fact in facts {
            round.touch(fact.key.workflow, fact.key.detector, fact.key.key)
            deltas[fact.key, default: 0] += fact.count
        }
        for key in dropped { deltas[key, default: 0] -= 1 }
        try ledger.addCounts(deltas)
        let survivors = Set(merges.map(\.survivor))
        for survivor in survivors.sorted() {   // the same order in every process
            for (detector, key) in try ledger.allKeys(workflow: survivor) { round.touch(survivor, detector, key) }
        }
        // One read per active workflow serves the detectors that judge on every round and the settle windows.
        let everyRound = detectors.filter(\.judgesOnEveryRound).map(\.name).sorted()
        let settling = detectors.filter { $0.settles && !$0.judgesOnEveryRound }.map(\.name).sorted()
        let everyRoundSettles = Set(detectors.filter { $0.settles && $0.judgesOnEveryRound }.map(\.name))
        var settlingWorkflows: [Int64] = []
        for workflow in workflows.union(survivors).sorted() {
            var settles = false
            for detector in everyRound {
                let keys = try ledger.keys(workflow: workflow, detector: detector)
                for key in keys { round.touch(workflow, detector, key) }
                if !keys.isEmpty, everyRoundSettles.contains(detector) { settles = true }
            }
            for detector in settling where !settles { settles = try ledger.hasKeys(workflow: workflow, detector: detector) }
            if settles { settlingWorkflows.append(workflow) }
        }
        let opened = try round.judge()
        // Settle windows: absorbed workflows' windows go; active ones restart.
        try ledger.setSettleWindows(merges.map(\.absorbed), dueAt: nil)
        try ledger.setSettleWindows(settlingWorkflows, dueAt: now &+ settleAfterNanos)
        return opened
    }

    /// Judges the settling patterns of `due` workflows (quiet for `settle_after`) and ends their
    /// windows; returns the exceptions it opened.
    public func settle(_ due: [Int64]) throws -> [String] {
        var round = DetectionRound(detectors: byName, filing: filing, settled: true)
        for workflow in due {
            for detector in detectors where detector.settles {
                for key in try ledger.keys(workflow: workflow, detector: detector.name) { round.touch(workflow, detector.name, key) }
            }
        }
        try ledger.setSettleWindows(due, dueAt: nil)
        return try round.judge()
    }
}
