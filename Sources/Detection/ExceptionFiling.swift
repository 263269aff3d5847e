/// Turns detections into queue items: opens an exception the first time a pattern completes in
/// a workflow, counts repeats (a history line at 2, 4, 8, … occurrences), reopens a resolved or
/// dismissed one when the pattern recurs, folds a detection into the item already filed for
/// its root cause, once, and moves an item to the id its pattern's trigger gives when the
/// trigger moves (an earlier occurrence arrived late, or workflows merged). Every change appends to the history. The store writes (`ExceptionLedger`).
public struct ExceptionFiling<Ledger: ExceptionLedger> {
    public let ledger: Ledger
    public let owners: OwnerRouting

    public init(ledger: Ledger, owners: OwnerRouting) {
        self.ledger = ledger
        self.owners = owners
    }

    /// Files `detection`, found in workflow `workflow`: the exception id and whether it was newly
    /// opened; nil when there is nothing to file (a repeat of a pattern never filed).
    @discardableResult
    public func file(_ detection: Detection, workflow: Int64) throws -> (id: String, opened: Bool)? {
        if let target = detection.foldsInto, let existing = try ledger.filed(target, workflow: workflow) {
            if try ledger.foldOnce(into: existing.id) {
                try ledger.appendHistory(existing.id, action: "folded", note: "\(detection.exceptionClass): \(detection.summary)", owner: nil)
            }
            // Filed on its own while its part of the workflow had no item to fold into (that part
            // settled before the traces holding its root cause's item joined it): one root cause,
            // one item, whatever order the traces came in. An item a reviewer has acted on stays theirs.
            if existing.status.isActive, let own = try ledger.filed(detection.dedupeKey, workflow: workflow), own.id != existing.id, own.status == .open {
                try ledger.merge(own, workflow: workflow, into: existing.id)
                try ledger.appendHistory(own.id, action: "merged", note: "merged into \(existing.id): the same root cause, once their workflows joined",
                                         owner: nil)
                try ledger.appendHistory(existing.id, action: "merged", note: "\(own.id) merged into it: the same root cause, once their workflows joined",
                                         owner: nil)
            }
            return (existing.id, false)
        }
        guard var existing = try ledger.filed(detection.dedupeKey, workflow: workflow) else {
            guard let id = detection.exceptionID, let trigger = detection.trigger else { return nil }
            let route = owners.route(detection)
            guard try ledger.open(detection, id: id, trigger: trigger, route: route, workflow: workflow) != nil else { return (id, false) }
            try ledger.appendHistory(id, action: "opened", note: detection.summary, owner: route.owner)
            return (id, true)
        }
        if detection.settlesTrigger, let id = detection.exceptionID, id != existing.id, let trigger = detection.trigger,
           let start = detection.triggerStartUnixNano, let filedStart = existing.triggerStartUnixNano, start <= filedStart,
           let moved = try ledger.rekey(existing, to: id, trigger: trigger, detection, workflow: workflow) {
            // An earlier occurrence arrived (facts only leave by retention, which moves it later:
            // never followed): the same item under the id the spans give it, whatever their order.
            try ledger.appendHistory(existing.id, action: "merged", note: "now \(id): an earlier occurrence of the pattern arrived", owner: nil)
            try ledger.appendHistory(id, action: "rekeyed", note: "was \(existing.id): an earlier occurrence of the pattern arrived", owner: nil)
            existing = moved
        }
        var occurrences = detection.occurrences
        if occurrences <= existing.occurrences {
            // A closed item whose pattern now counts a span received after it was closed recurred,
            // even with no more occurrences than it had: the ones it counted aged out (retention)
            // and the pattern was read again from the spans still kept.
            guard !existing.status.isActive, !detection.occurrenceSpans.isEmpty,
                  try ledger.arrived(detection.occurrenceSpans, afterClosing: existing) else { return (existing.id, false) }
            occurrences = existing.occurrences + 1
        }
        var updated = existing
        updated.occurrences = occurrences
        if existing.status.isActive {
            try ledger.repeated(updated, detection.dedupeKey, workflow: workflow, summary: detection.summary)
            if Self.crossesPowerOfTwo(from: existing.occurrences, to: occurrences) {
                try ledger.appendHistory(existing.id, action: "recurred", note: "occurrence \(occurrences): \(detection.summary)", owner: nil)
            }
        } else {
            updated.status = .open
            try ledger.reopened(updated, detection.dedupeKey, workflow: workflow, summary: detection.summary)
            try ledger.appendHistory(existing.id, action: "reopened", note: "recurred after it was \(existing.status.rawValue): \(detection.summary)", owner: nil)
        }
        return (existing.id, false)
    }

    /// The pattern of an item its detector files only once the workflow is quiet is no longer
    /// there, judged again after more of the workflow arrived (a later attempt succeeded): an
    /// open item is resolved by Causeway, with a history line saying why; one a reviewer has
    /// acted on stays theirs.
    public func recovered(_ dedupeKey: DedupeKey, workflow: Int64) throws {
        guard let existing = try ledger.filed(dedupeKey, workflow: workflow), existing.status == .open else { return }
        try ledger.resolve(existing, dedupeKey, workflow: workflow)
        try ledger.appendHistory(existing.id, action: "resolved", note: "recovered: a later attempt succeeded, after the workflow had first gone quiet",
                                 owner: nil)
    }

    /// The live items a round's workflow merges brought together, each with the workflow it ends
    /// in and its pattern: of each pattern's in a workflow, the one opened first stays
    /// (`survivor`, a total order, so the same one whatever order the merges were made in) and
    /// the others are merged into it. Sorted by the merged id.
    public static func duplicates(_ live: [(workflow: Int64, pattern: String, exception: FiledException)]) -> [(kept: String, merged: String)] {
        var groups: [Int64: [String: [FiledException]]] = [:]
        for item in live { groups[item.workflow, default: [:]][item.pattern, default: []].append(item.exception) }
        var pairs: [(kept: String, merged: String)] = []
        for group in groups.values.flatMap(\.values) where group.count > 1 {
            let kept = group.dropFirst().reduce(group[0]) { survivor(of: $0, $1).kept }
            for other in group where other.id != kept.id { pairs.append((kept.id, other.id)) }
        }
        return pairs.sorted { ($0.merged, $0.kept) < ($1.merged, $1.kept) }
    }

    /// The history lines a round's merges of duplicates (`duplicates`) write: one on each merged
    /// item, naming the item it joined, and one on each kept item naming what it took in this
    /// round (the first five ids, then how many more). A workflow pieced together from many
    /// traces merges dozens into one item: a line each buried its history. By merged id, then
    /// kept id.
    public static func mergeHistory(_ pairs: [(kept: String, merged: String)]) -> [(id: String, note: String)] {
        let reason = "the same pattern, once their workflows joined"
        var lines = pairs.sorted { $0.merged < $1.merged }.map { (id: $0.merged, note: "merged into \($0.kept): \(reason)") }
        for (kept, group) in Dictionary(grouping: pairs, by: \.kept).sorted(by: { $0.key < $1.key }) {
            let merged = group.map(\.merged).sorted()
            let named = merged.prefix(5).joined(separator: ", ") + (merged.count > 5 ? " and \(merged.count - 5) more" : "")
            lines.append((id: kept, note: "\(named) merged into it: \(reason)"))
        }
        return lines
    }

    /// Whether a power of two lies in (old, new].
    public static func crossesPowerOfTwo(from old: Int, to new: Int) -> Bool {
        new > old && (Int.bitWidth - new.leadingZeroBitCount) > (Int.bitWidth - max(old, 0).leadingZeroBitCount)
    }

    /// Of two exceptions of one pattern that a merge put in one workflow, the one that stays:
    /// the one opened first (then the smaller id); the other is marked merged into it.
    public static func survivor(of first: FiledException, _ second: FiledException) -> (kept: FiledException, merged: FiledException) {
        (first.openedAtUnixNano, first.id) <= (second.openedAtUnixNano, second.id) ? (first, second) : (second, first)
    }
}
