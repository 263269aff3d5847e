import Detection

/// What a store detects with, the same for every store: the patterns (and the plan the writer
/// reads spans into facts with), how failures are typed, who owns what they find, how long a
/// workflow must be quiet before its settling patterns are judged, and who is told of what.
public struct DetectionSetup: Sendable {
    /// What the writer reads off each span.
    let plan: FactPlan
    public var detectors: [any Detector] { plan.detectors }
    let detectorsByName: [String: any Detector]
    /// How failures are typed (for receipts).
    let failureTyping: FailureTyping
    public let owners: OwnerRouting
    public let settleAfterNanos: UInt64
    /// Who is told of what, written to the outbox with each change.
    let notifications: NotificationPlan

    public init(detection: DetectionConfiguration = .default, owners: OwnerRouting = .default, correlationAttributes: [String] = [],
                notifications: NotificationPlan = .none) {
        plan = FactPlan(detection: detection, correlationAttributes: correlationAttributes)
        detectorsByName = Dictionary(plan.detectors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        failureTyping = detection.failureTyping
        self.owners = owners
        settleAfterNanos = detection.settleAfterNanos
        self.notifications = notifications
    }

    /// One round's detection and filing through `ledger`.
    func pass<Ledger: FactLedger>(_ ledger: Ledger) -> DetectionPass<Ledger> {
        DetectionPass(detectors: detectors, byName: detectorsByName, filing: ExceptionFiling(ledger: ledger, owners: owners),
                      settleAfterNanos: settleAfterNanos)
    }
}
