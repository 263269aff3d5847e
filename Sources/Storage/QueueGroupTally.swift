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

    /// One item as a tally counts it (what the SQLite store's counter triggers count).
    struct Item {
        var status: ExceptionStatus
        /// The breach timer marked it.
        var markedBreached: Bool
        var opened: UInt64
        var due: UInt64
        var firstAction: UInt64?
        var resolved: UInt64?
    }

    /// Counts `item` as of `now` (an active item past its due time is breached, marked yet or not).
    mutating func add(_ item: Item, now: UInt64) {
        guard item.status != .merged else { return }
        let active = item.status.isActive
        count(status: item.status, breached: active && (item.markedBreached || item.due < now), n: 1)
        if active { oldestActiveOpened = min(oldestActiveOpened ?? item.opened, item.opened) }
        func seconds(_ later: UInt64, _ earlier: UInt64) -> Double { max(0, (Double(Int64(bitPattern: later)) - Double(Int64(bitPattern: earlier))) / 1e9) }
        if let firstAction = item.firstAction {
            let value = seconds(firstAction, item.opened)
            duration(metric: "first_action", bucket: DurationBuckets.bucket(value), n: 1, total: value)
        }
        guard item.status == .resolved, let resolved = item.resolved else { return }
        let resolution = seconds(resolved, item.opened)
        duration(metric: "resolution", bucket: DurationBuckets.bucket(resolution), n: 1, total: resolution)
        if resolved <= item.due { duration(metric: "within_sla", bucket: 0, n: 1, total: 0) }
        duration(metric: "reviewer", bucket: 0, n: 1, total: seconds(resolved, item.firstAction ?? resolved))
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
