import Correlation
import TraceModel

/// One exception pattern. Detectors are evaluated incrementally: each new span is turned into
/// facts once, as it is stored; a pattern is then judged from the facts of one key in one
/// workflow (and the spans they name), never by rescanning the workflow's spans.
public protocol Detector: Sendable {
    /// Names this detector's facts in storage (`repeat_failure`, `rule:low-confidence`).
    var name: String { get }
    /// Judged again whenever its workflow gets new spans, not only when one of its facts
    /// arrives: its verdict depends on spans that are not its facts (ancestors, parents).
    var judgesOnEveryRound: Bool { get }
    /// Judged again, with `settled` true, once its workflow has gone quiet (`settle_after`).
    var settles: Bool { get }
    /// Its facts are failures, counted once at the deepest failed span: the writer drops the
    /// facts of a span as soon as one of its children is known to have failed (a wrapper or a
    /// re-raise of the child's error, DESIGN.md §6).
    var countsFailures: Bool { get }
    /// How many of a key's facts its pattern reads, the first in start order (then trace and span
    /// id): a counting pattern whose trigger is its `n`-th fact and whose later facts only add
    /// occurrences; its receipts are those first `n`. The SQLite writer stores a fact only while
    /// it may still be among the first `n` of its workflow and counts the rest. Nil: the pattern
    /// reads every fact (receipts, judging each call), and every fact is stored.
    var firstFactsRead: Int? { get }
    /// Its pattern can go away: judged settled again (more of its workflow arrived after it first
    /// went quiet), it may find nothing where it filed an item before — a later attempt
    /// succeeded. Causeway then resolves the item, unless a reviewer has acted on it.
    var resolvesWhenGone: Bool { get }
    /// The keys this span counts towards (empty for most spans).
    func facts(of span: Span, service: String) -> [String]
    /// The keys to judge when `key` got a new fact (usually just `key`).
    func keysToJudge(touched key: String, in context: some DetectionContext) throws -> [String]
    /// What the facts of `key` in one workflow amount to, or nil while the pattern is incomplete.
    func evaluate(key: String, in context: some DetectionContext) throws -> Detection?
}

extension Detector {
    public var judgesOnEveryRound: Bool { false }
    public var settles: Bool { false }
    public var countsFailures: Bool { false }
    public var firstFactsRead: Int? { nil }
    public var resolvesWhenGone: Bool { false }

    public func keysToJudge(touched key: String, in context: some DetectionContext) throws -> [String] { [key] }
}

/// One workflow as a detector sees it: its facts and its stored spans.
public protocol DetectionContext: SpanLookup {
    /// Facts of the judging detector's `key` in the workflow, by start time then id.
    func facts(_ key: String) throws -> [FactOccurrence]
    /// Every key the judging detector has facts for in the workflow.
    func keys() throws -> [String]
    /// How many facts of `key` the workflow holds.
    func count(_ key: String) throws -> Int
    /// The fact of `key` at `index`, in start order (then id).
    func fact(_ key: String, at index: Int) throws -> FactOccurrence?
    /// Whether the workflow already has an exception for this pattern.
    func isFiled(_ dedupeKey: DedupeKey) throws -> Bool
    /// Whether the workflow has an open or acknowledged exception for this pattern.
    func isActive(_ dedupeKey: DedupeKey) throws -> Bool
    /// The exception filed for this pattern in the workflow, if any.
    func filed(_ dedupeKey: DedupeKey) throws -> FiledException?
    /// The workflow's spans called `name` that started after `start` (without their links).
    func spans(named name: String, startingAfter start: UInt64) throws -> [CausalNode]
    /// Whether any span of the workflow started after `time` (the run went on).
    func hasSpans(startingAfter time: UInt64) throws -> Bool
    /// The workflow has gone quiet (no new span for `settle_after`).
    var settled: Bool { get }
    /// Whether a reviewer approved a call of `tool` in the workflow (an `approve` decision): it
    /// counts for that call and every other call of the tool in the workflow (DESIGN.md §9).
    func reviewerApproved(tool: String) throws -> Bool
}

extension DetectionContext {
    public func isFiled(_ dedupeKey: DedupeKey) throws -> Bool { try filed(dedupeKey) != nil }

    public func isActive(_ dedupeKey: DedupeKey) throws -> Bool { try filed(dedupeKey)?.status.isActive ?? false }

    /// Whether a span like `failed` (same name, service and tool) started after it and did not
    /// fail: a later attempt of the same operation recovered.
    public func recovered(after failed: CausalNode, typing: FailureTyping) throws -> Bool {
        try lastSuccess(like: failed, startingAfter: failed.span.startTimeUnixNano, typing: typing) != nil
    }

    /// When the last attempt like `attempt` (same name, service and tool) that did not fail
    /// started, among those that started after `start`; nil when none did.
    public func lastSuccess(like attempt: CausalNode, startingAfter start: UInt64, typing: FailureTyping) throws -> UInt64? {
        let tool = ToolCall.tool(of: attempt.span)?.name
        return try spans(named: attempt.span.name, startingAfter: start).filter { node in
            node.service == attempt.service && ToolCall.tool(of: node.span)?.name == tool && Failure(node.span, typing: typing) == nil
        }.map(\.span.startTimeUnixNano).max()
    }

    public func count(_ key: String) throws -> Int { try facts(key).count }

    public func fact(_ key: String, at index: Int) throws -> FactOccurrence? {
        let all = try facts(key)
        return all.indices.contains(index) ? all[index] : nil
    }
}

/// A counting pattern: fires when a key has `limit` facts; later facts add occurrences. Its
/// trigger is the `limit`-th fact in start order (then trace and span id) of the workflow's
/// facts of the key. Facts arrive in any order, and partial workflows merge, so the trigger an
/// item was filed with is provisional: once the workflow has gone quiet (`settled`) it is read
/// again, from all the facts, and the item moves to the id the spans give it — the same whatever
/// the order the spans arrived in, or the instance that received them. Reads the count (kept by
/// the writer), and the `limit`-th fact when first filing and when settled (counting those
/// retention took away, when so many went that fewer than `limit` are kept).
struct CountedPattern {
    var count: Int
    var trigger: FactOccurrence?

    init?(key: String, dedupeKey: DedupeKey, limit: Int, in context: some DetectionContext) throws {
        count = try context.count(key)
        guard count >= limit else { return nil }
        let filed = try context.isFiled(dedupeKey)
        guard !filed || context.settled else { return }
        if let fact = try context.fact(key, at: limit - 1) {
            trigger = fact
            return
        }
        // Fewer than `limit` kept, before the pattern was ever filed: retention took the oldest
        // away (they stay counted, and until filed every fact is stored, so the count less the
        // kept ones is what it took). The `limit`-th counts them: that many places earlier among
        // the kept ones. A filed pattern keeps its trigger (facts after it are only counted).
        guard !filed else { return }
        let kept = try context.facts(key)
        let index = max(0, limit - 1 - (count - kept.count))
        trigger = kept.indices.contains(index) ? kept[index] : kept.last
    }
}

/// One stored fact: the span it came from and when that span started.
public struct FactOccurrence: Sendable, Equatable {
    public var reference: SpanReference
    public var startTimeUnixNano: UInt64

    public init(reference: SpanReference, startTimeUnixNano: UInt64) {
        self.reference = reference
        self.startTimeUnixNano = startTimeUnixNano
    }
}

/// Fields of a fact key, joined by the unit separator (which span data cannot smuggle in: it is
/// replaced).
enum FactKey {
    static let separator: Character = "\u{1F}"

    static func make(_ fields: String...) -> String {
        var key = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { key.unicodeScalars.append("\u{1F}") }
            if field.utf8.contains(0x1F) {
                key += field.replacingOccurrences(of: String(separator), with: " ")
            } else {
                key += field
            }
        }
        return key
    }

    /// Split on the separator's byte (keys are read on every round: no grapheme breaking).
    static func fields(_ key: String) -> [String] {
        key.utf8.split(separator: 0x1F, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension DetectionConfiguration {
    /// Every detector this configuration asks for, built-in patterns first.
    public var detectors: [any Detector] {
        guard enabled else { return [] }
        return [
            RepeatFailureDetector(configuration: self), StaleConnectorDataDetector(configuration: self),
            ApprovalRequiredDetector(configuration: self), UnresolvedFailureDetector(configuration: self),
        ] + rules.map { AttributeRuleDetector(rule: $0) }
    }
}
