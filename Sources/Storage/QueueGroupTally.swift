import Detection

/// The counters of one or more (class, owner) groups, summed; `figures(now:)` turns them into
/// the queue figures of DESIGN.md §4.
struct QueueGroupTally {
    var open = 0
    var acknowledged = 0
    var resolved = 0
    var dismissed = 0
    var breached = 0
    var oldestActiveOpened: UInt64?
    var firstActionBuckets: [Int: Int] = [:]
    var resolutionBuckets: [Int: Int] = [:]
    var withinSLA = 0
    var reviewerCount = 0
    var reviewerSeconds = 0.0

    var active: Int { open + acknowledged }

    mutating func count(status: ExceptionStatus, breached isBreached: Bool, n: Int) {
        switch status {
        case .open: open += n
        case .acknowledged: acknowledged += n
        case .resolved: resolved += n
        case .dismissed: dismissed += n
        case .merged: break
        }
        if isBreached { breached += n }
    }

    mutating func duration(metric: String, bucket: Int, n: Int, total: Double) {
        switch metric {
        case "first_action": firstActionBuckets[bucket, default: 0] += n
        case "resolution": resolutionBuckets[bucket, default: 0] += n
        case "within_sla": withinSLA += n
        case "reviewer":
            reviewerCount += n
            reviewerSeconds += total
        default: break
        }
    }

    mutating func merge(_ other: QueueGroupTally) {
        open += other.open
        acknowledged += other.acknowledged
        resolved += other.resolved
        dismissed += other.dismissed
        breached += other.breached
        if let theirs = other.oldestActiveOpened { oldestActiveOpened = min(oldestActiveOpened ?? theirs, theirs) }
        firstActionBuckets.merge(other.firstActionBuckets, uniquingKeysWith: +)
        resolutionBuckets.merge(other.resolutionBuckets, uniquingKeysWith: +)
        withinSLA += other.withinSLA
        reviewerCount += other.reviewerCount
        reviewerSeconds += other.reviewerSeconds
    }

    func figures(now: UInt64) -> QueueFigures {
        var figures = QueueFigures()
        figures.open = open
        figures.acknowledged = acknowledged
        figures.resolved = resolved
        figures.dismissed = dismissed
        figures.breached = breached
        figures.oldestActiveAgeSeconds = oldestActiveOpened.map { now > $0 ? Double(now - $0) / 1e9 : 0 }
        figures.resolvedWithinSLA = resolved > 0 ? Double(withinSLA) / Double(resolved) : nil
        figures.medianTimeToFirstActionSeconds = DurationBuckets.median(firstActionBuckets)
        figures.medianTimeToResolutionSeconds = DurationBuckets.median(resolutionBuckets)
        return figures
    }
}
