/// The keys one round judges — each (workflow, detector, key) once, in the order first touched —
/// and the filing of what they amount to.
public struct DetectionRound<Ledger: ExceptionLedger> {
    public let detectors: [String: any Detector]
    public let filing: ExceptionFiling<Ledger>
    /// Judging workflows that have gone quiet (`settle_after`).
    public let settled: Bool
    private var items: [WorkflowKey] = []
    private var seen: Set<WorkflowKey> = []

    public init(detectors: [String: any Detector], filing: ExceptionFiling<Ledger>, settled: Bool) {
        self.detectors = detectors
        self.filing = filing
        self.settled = settled
    }

    public mutating func touch(_ workflow: Int64, _ detector: String, _ key: String) {
        let item = WorkflowKey(workflow: workflow, detector: detector, key: key)
        if seen.insert(item).inserted { items.append(item) }
    }

    /// Expands each touched key to the keys its detector judges, evaluates them and files what
    /// they find; returns the ids of the exceptions it opened.
    public func judge() throws -> [String] {
        guard !items.isEmpty else { return [] }
        var judged: Set<WorkflowKey> = []
        var opened: [String] = []
        for item in items {
            guard let detector = detectors[item.detector] else { continue }
            let context = filing.ledger.context(workflow: item.workflow, detector: item.detector, settled: settled)
            for key in try detector.keysToJudge(touched: item.key, in: context) {
                guard judged.insert(WorkflowKey(workflow: item.workflow, detector: item.detector, key: key)).inserted else { continue }
                guard let detection = try detector.evaluate(key: key, in: context) else {
                    if settled, detector.resolvesWhenGone { try filing.recovered(DedupeKey(detector: item.detector, key: key), workflow: item.workflow) }
                    continue
                }
                if let result = try filing.file(detection, workflow: item.workflow), result.opened { opened.append(result.id) }
            }
        }
        try filing.ledger.flush()
        return opened
    }
}
