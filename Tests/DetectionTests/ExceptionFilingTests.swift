import Correlation
import Detection
import TestSupport
import Testing
import TraceModel

/// A store's side of filing, in memory: what every store's ledger must amount to.
final class MemoryLedger: ExceptionLedger {
    struct Item: Equatable {
        var filed: FiledException
        var dedupeKey: DedupeKey
        var workflow: Int64
        var owner: String
        var summary: String
    }

    var items: [String: Item] = [:]
    var history: [(id: String, action: String)] = []
    var heldRepeats: [String: (occurrences: Int, summary: String)] = [:]
    var flushes = 0
    let now: Int64
    /// Every workflow's facts, by key (one detector).
    let facts: [String: [FactOccurrence]]

    init(now: Int64 = 1_000, facts: [String: [FactOccurrence]] = [:]) {
        self.now = now
        self.facts = facts
    }

    func context(workflow: Int64, detector: String, settled: Bool) -> MemoryContext {
        MemoryContext(graph: WorkflowGraph(nodes: []), factsByKey: facts, settled: settled)
    }

    func filed(_ dedupeKey: DedupeKey, workflow: Int64) -> FiledException? {
        items.values.filter { $0.dedupeKey == dedupeKey && $0.workflow == workflow && $0.filed.status != .merged }
            .map(\.filed).min { ($0.openedAtUnixNano, $0.id) < ($1.openedAtUnixNano, $1.id) }
    }

    func open(_ detection: Detection, id: String, trigger: SpanReference,
              route: (owner: String, slaNanos: UInt64, escalateTo: String?), workflow: Int64) -> FiledException? {
        guard items[id] == nil else { return nil }
        let filed = FiledException(id: id, status: .open, occurrences: detection.occurrences, openedAtUnixNano: now,
                                   triggerStartUnixNano: detection.triggerStartUnixNano)
        items[id] = Item(filed: filed, dedupeKey: detection.dedupeKey, workflow: workflow, owner: route.owner, summary: detection.summary)
        return filed
    }

    func repeated(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) {
        items[exception.id]?.filed = exception   // what `filed` answers moves at once; the row may wait
        heldRepeats[exception.id] = (exception.occurrences, summary)
    }

    func reopened(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) {
        items[exception.id]?.filed = exception
        items[exception.id]?.summary = summary
    }

    func rekey(_ exception: FiledException, to id: String, trigger: SpanReference, _ detection: Detection, workflow: Int64) -> FiledException? {
        flush()
        var moved = exception
        moved.id = id
        if let item = items[exception.id] { items[id] = Item(filed: moved, dedupeKey: item.dedupeKey, workflow: workflow, owner: item.owner, summary: item.summary) }
        items[exception.id]?.filed.status = .merged
        return moved
    }

    func resolve(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64) {
        flush()
        items[exception.id]?.filed.status = .resolved
    }

    func merge(_ exception: FiledException, workflow: Int64, into target: String) {
        flush()
        items[exception.id]?.filed.status = .merged
    }

    /// Spans that arrived after the item (by id) was closed.
    var arrivedAfterClosing: [String: Set<SpanReference>] = [:]

    func arrived(_ spans: [SpanReference], afterClosing exception: FiledException) -> Bool {
        spans.contains { arrivedAfterClosing[exception.id]?.contains($0) ?? false }
    }

    func foldOnce(into id: String) -> Bool {
        flush()
        guard !history.contains(where: { $0.id == id && $0.action == "folded" }) else { return false }
        items[id]?.filed.occurrences += 1
        return true
    }

    func appendHistory(_ id: String, action: String, note: String, owner: String?) {
        history.append((id, action))
    }

    func flush() {
        flushes += 1
        for (id, update) in heldRepeats {
            items[id]?.filed.occurrences = update.occurrences
            items[id]?.summary = update.summary
        }
        heldRepeats = [:]
    }
}

/// What is opened, counted, reopened and folded is decided once, in Detection, for every store.
@Suite("Filing detections into the queue")
struct ExceptionFilingTests {
    static let key = DedupeKey(detector: "stale_connector_data", key: "vendor-master")
    static let owners = OwnerRouting(rules: [OwnerRouting.Rule(exceptionClass: "stale_*", owner: "data-ops", slaNanos: 3_600_000_000_000)])

    static func detection(_ occurrences: Int, key: DedupeKey = key, foldsInto: DedupeKey? = nil, trigger: UInt64 = 2) -> Detection {
        Detection(exceptionClass: key.detector, category: .dataIntegrity, severity: .high, summary: "\(occurrences + 1) stale reads",
                  trigger: SpanReference(traceID: .stub(1), spanID: .stub(trigger)), dedupeKey: key, occurrences: occurrences,
                  service: "vendor-sync", tool: nil, foldsInto: foldsInto)
    }

    @Test("the first detection opens an item for the first matching owner; repeats count, with a history line at powers of two")
    func openAndRepeat() throws {
        let ledger = MemoryLedger()
        let filing = ExceptionFiling(ledger: ledger, owners: Self.owners)
        let opened = try #require(try filing.file(Self.detection(1), workflow: 7))
        #expect(opened.opened)
        #expect(ledger.items[opened.id]?.owner == "data-ops")
        #expect(try filing.file(Self.detection(1), workflow: 7)?.opened == false)   // the same detection again: nothing
        for occurrences in 2...5 {
            // A repeat carries no trigger: the pattern is filed already.
            var repeated = Self.detection(occurrences)
            repeated.trigger = nil
            #expect(try filing.file(repeated, workflow: 7)?.id == opened.id)
        }
        #expect(ledger.items[opened.id]?.summary == "2 stale reads")   // held until the round's end
        ledger.flush()
        #expect(ledger.items[opened.id]?.filed.occurrences == 5)
        #expect(ledger.items[opened.id]?.summary == "6 stale reads")
        #expect(ledger.history.map(\.action) == ["opened", "recurred", "recurred"])   // at 2 and 4
        #expect(ledger.items.count == 1)
        // Another workflow is another item.
        #expect(try filing.file(Self.detection(1, trigger: 9), workflow: 8)?.opened == true)
    }

    @Test("a counting pattern's item moves to an earlier trigger's id, keeping its state; never to a later one, nor for other patterns")
    func rekey() throws {
        let ledger = MemoryLedger()
        let filing = ExceptionFiling(ledger: ledger, owners: Self.owners)
        func counted(trigger: UInt64, start: UInt64) -> Detection {
            var detection = Self.detection(1, trigger: trigger)
            detection.triggerStartUnixNano = start
            return detection
        }
        let first = try #require(try filing.file(counted(trigger: 5, start: 50), workflow: 7)?.id)
        ledger.items[first]?.filed.status = .acknowledged
        // A later trigger (retention took facts away) and a detection that is no counting pattern: no move.
        #expect(try filing.file(counted(trigger: 6, start: 60), workflow: 7)?.id == first)
        #expect(try filing.file(Self.detection(1, trigger: 4), workflow: 7)?.id == first)
        // An earlier occurrence arrived: the item moves, acknowledged as it was; the old id is merged.
        let moved = try #require(try filing.file(counted(trigger: 3, start: 30), workflow: 7)?.id)
        #expect(moved != first)
        #expect(ledger.items[moved]?.filed.status == .acknowledged)
        #expect(ledger.items[first]?.filed.status == .merged)
        #expect(ledger.filed(Self.key, workflow: 7)?.id == moved)
        #expect(ledger.history.map(\.action) == ["opened", "merged", "rekeyed"])
    }

    @Test("a repeat of a resolved item reopens it; an id already stored is not opened twice")
    func reopenAndRedelivery() throws {
        let ledger = MemoryLedger()
        let filing = ExceptionFiling(ledger: ledger, owners: Self.owners)
        let id = try #require(try filing.file(Self.detection(1), workflow: 7)?.id)
        ledger.items[id]?.filed.status = .resolved
        #expect(try filing.file(Self.detection(2), workflow: 7)?.opened == false)
        #expect(ledger.items[id]?.filed.status == .open)
        #expect(ledger.items[id]?.filed.occurrences == 2)
        #expect(ledger.history.map(\.action) == ["opened", "reopened"])

        // A restart forgot what was filed, but the store holds the id: no second item, no history line.
        let restarted = MemoryLedger()
        restarted.items[id] = ledger.items[id].map { item in
            var moved = item
            moved.workflow = 99   // filed under a workflow this writer does not look in
            return moved
        }
        #expect(try ExceptionFiling(ledger: restarted, owners: Self.owners).file(Self.detection(1), workflow: 7).map { [$0.id: $0.opened] } == [id: false])
        #expect(restarted.history.isEmpty)
    }

    @Test("a closed item whose pattern counts a span received after it was closed reopens, though no more occurrences are read")
    func reopenAfterAging() throws {
        let ledger = MemoryLedger()
        let filing = ExceptionFiling(ledger: ledger, owners: Self.owners)
        func read(_ occurrences: Int, newest: UInt64) -> Detection {
            var detection = Self.detection(occurrences, trigger: 2)
            detection.occurrenceSpans = [SpanReference(traceID: .stub(1), spanID: .stub(newest)),   // received after closing: newest
                                         SpanReference(traceID: .stub(1), spanID: .stub(1))]        // though it starts before this one
            return detection
        }
        let id = try #require(try filing.file(read(2, newest: 3), workflow: 7)?.id)
        ledger.items[id]?.filed.status = .resolved
        // Some occurrences aged out; the pattern is read again from what is kept. Every span it
        // counts was there before it was closed: nothing recurred.
        #expect(try filing.file(read(1, newest: 3), workflow: 7)?.id == id)
        #expect(ledger.items[id]?.filed.status == .resolved)
        // One span received after it was closed (whatever its start time): it recurred, one more.
        ledger.arrivedAfterClosing[id] = [SpanReference(traceID: .stub(1), spanID: .stub(4))]
        #expect(try filing.file(read(2, newest: 4), workflow: 7)?.id == id)
        #expect(ledger.items[id]?.filed.status == .open)
        #expect(ledger.items[id]?.filed.occurrences == 3)
        // Open again, the same reading counts nothing more.
        #expect(try filing.file(read(2, newest: 4), workflow: 7)?.id == id)
        ledger.flush()
        #expect(ledger.items[id]?.filed.occurrences == 3)
        #expect(ledger.history.map(\.action) == ["opened", "reopened"])
    }

    @Test("a detection of the same root cause folds into the filed item once")
    func fold() throws {
        let ledger = MemoryLedger()
        let filing = ExceptionFiling(ledger: ledger, owners: Self.owners)
        let id = try #require(try filing.file(Self.detection(1), workflow: 7)?.id)
        let unresolved = Self.detection(1, key: DedupeKey(detector: "unresolved_failure", key: "vendor-master"), foldsInto: Self.key)
        #expect(try filing.file(unresolved, workflow: 7)?.id == id)
        #expect(try filing.file(unresolved, workflow: 7)?.id == id)
        #expect(ledger.items.count == 1)
        #expect(ledger.items[id]?.filed.occurrences == 2)
        #expect(ledger.history.map(\.action) == ["opened", "folded"])
        // With nothing filed to fold into, it is filed on its own.
        #expect(try filing.file(unresolved, workflow: 8)?.opened == true)
    }

    @Test("of two items a merge puts in one workflow, the one opened first stays (then the smaller id)")
    func survivor() {
        let early = FiledException(id: "exc_b", status: .open, occurrences: 1, openedAtUnixNano: 1)
        let late = FiledException(id: "exc_a", status: .open, occurrences: 3, openedAtUnixNano: 2)
        #expect(ExceptionFiling<MemoryLedger>.survivor(of: late, early).kept == early)
        #expect(ExceptionFiling<MemoryLedger>.survivor(of: early, late).merged == late)
        let tie = FiledException(id: "exc_c", status: .open, occurrences: 1, openedAtUnixNano: 1)
        #expect(ExceptionFiling<MemoryLedger>.survivor(of: tie, early).kept.id == "exc_b")
    }

    @Test("a round judges each touched key once, files what it finds and flushes once")
    func round() throws {
        let fact = { (span: UInt64) in FactOccurrence(reference: SpanReference(traceID: .stub(1), spanID: .stub(span)), startTimeUnixNano: span) }
        let ledger = MemoryLedger(facts: ["agent\u{1F}\u{1F}grade": [fact(1), fact(2)]])
        let rule = AttributeRuleDetector(rule: AttributeRule(name: "low", attribute: "score", condition: .below(0.5), exceptionClass: "low_score",
                                                             category: .confidence, severity: .high))
        var round = DetectionRound(detectors: [rule.name: rule], filing: ExceptionFiling(ledger: ledger, owners: .default), settled: false)
        round.touch(7, rule.name, "agent\u{1F}\u{1F}grade")
        round.touch(7, rule.name, "agent\u{1F}\u{1F}grade")
        round.touch(7, rule.name, "agent\u{1F}\u{1F}other")   // no facts: the pattern is incomplete
        round.touch(7, "no-such-detector", "k")
        let opened = try round.judge()
        #expect(opened.count == 1)
        #expect(ledger.items[opened[0]]?.filed.occurrences == 2)
        #expect(ledger.items[opened[0]]?.dedupeKey == DedupeKey(detector: "rule:low", key: "agent\u{1F}\u{1F}grade"))
        #expect(ledger.history.map(\.action) == ["opened"])
        #expect(ledger.flushes == 1)
    }

    @Test("the items a round's merges bring together keep the one opened first per pattern and workflow, whatever order they are listed in")
    func duplicatesOfMerges() {
        func item(_ id: String, opened: Int64) -> FiledException {
            FiledException(id: id, status: .open, occurrences: 1, openedAtUnixNano: opened)
        }
        let live: [(workflow: Int64, pattern: String, exception: FiledException)] = [
            (9, "repeat", item("exc_c", opened: 30)), (9, "repeat", item("exc_a", opened: 10)), (9, "repeat", item("exc_b", opened: 20)),
            (9, "stale", item("exc_d", opened: 5)), (8, "repeat", item("exc_e", opened: 1)),
        ]
        let expected = ["exc_b→exc_a", "exc_c→exc_a"]
        #expect(ExceptionFiling<MemoryLedger>.duplicates(live).map { "\($0.merged)→\($0.kept)" } == expected)
        #expect(ExceptionFiling<MemoryLedger>.duplicates(live.reversed()).map { "\($0.merged)→\($0.kept)" } == expected)
    }

    @Test("a round's merges write a line on each merged item and one on each kept item, naming the first five it took in")
    func mergeHistoryLines() {
        let pairs = (1...7).map { (kept: "exc_a", merged: "exc_m\($0)") } + [(kept: "exc_b", merged: "exc_z")]
        let lines = ExceptionFiling<MemoryLedger>.mergeHistory(pairs.reversed())
        #expect(lines.map(\.id) == (1...7).map { "exc_m\($0)" } + ["exc_z", "exc_a", "exc_b"])
        #expect(lines[0].note == "merged into exc_a: the same pattern, once their workflows joined")
        #expect(lines[8].note == "exc_m1, exc_m2, exc_m3, exc_m4, exc_m5 and 2 more merged into it: the same pattern, once their workflows joined")
        #expect(lines[9].note == "exc_z merged into it: the same pattern, once their workflows joined")
    }
}
