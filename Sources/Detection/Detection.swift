import Correlation

/// What a detector found in one workflow: the exception it amounts to.
public struct Detection: Sendable, Equatable {
    public var exceptionClass: String
    public var category: ExceptionCategory
    public var severity: ExceptionSeverity
    public var summary: String
    /// The span that made the pattern complete (e.g. the failure that reached the limit); nil
    /// when the pattern is already filed in this workflow and only its occurrences change.
    public var trigger: SpanReference?
    /// When the trigger span started, where the detector knows it.
    public var triggerStartUnixNano: UInt64?
    /// Its trigger is the limit-th fact of a counting pattern (`CountedPattern`): one that starts
    /// earlier than the filed item's moves the item to the id the spans give it.
    public var settlesTrigger: Bool { triggerStartUnixNano != nil }
    /// The same pattern in the same workflow is the same exception: detector and key.
    public var dedupeKey: DedupeKey
    /// How many times the pattern has fired: 1 when it first completes, +1 for each repeat.
    public var occurrences: Int
    public var service: String
    public var tool: String?
    /// The dedupe key of an open exception in the workflow this one belongs to (an
    /// `unresolved_failure` of a signature already filed as `repeat_failure`): it is folded into
    /// that item as an occurrence and a history line instead of opening a second one.
    public var foldsInto: DedupeKey?
    /// The trigger's tool call id, when it has one (named in `next_decision` and decisions).
    public var callID: String?
    /// Whether, open and undecided, it holds the agent (`decisions` answers `hold`): every class
    /// but transient ones, unless a custom rule says `blocking: false` (DESIGN.md §9).
    public var blocking: Bool
    /// Every span it counts, from a detector that reads each occurrence rather than a count
    /// (`approval_required`): one received after a closed item was closed means the pattern
    /// recurred, even when fewer occurrences are read (retention took the older ones).
    public var occurrenceSpans: [SpanReference] = []

    public init(exceptionClass: String, category: ExceptionCategory, severity: ExceptionSeverity, summary: String,
                trigger: SpanReference?, dedupeKey: DedupeKey, occurrences: Int, service: String, tool: String?,
                foldsInto: DedupeKey? = nil, callID: String? = nil, blocking: Bool? = nil, triggerStartUnixNano: UInt64? = nil) {
        self.triggerStartUnixNano = triggerStartUnixNano
        self.foldsInto = foldsInto
        self.callID = callID
        self.blocking = blocking ?? (category != .transient)
        self.exceptionClass = exceptionClass
        self.category = category
        self.severity = severity
        self.summary = summary
        self.trigger = trigger
        self.dedupeKey = dedupeKey
        self.occurrences = occurrences
        self.service = service
        self.tool = tool
    }

    /// The exception id: `exc_` and 16 hex digits of a stable hash of class, key and trigger, so
    /// the same detection yields the same id after re-delivery or a restart.
    public var exceptionID: String? {
        guard let trigger else { return nil }
        var hash = StableHash()
        hash.combine(exceptionClass)
        hash.combine(dedupeKey.text)
        hash.combine(trigger.traceID.hex)
        hash.combine(trigger.spanID.hex)
        return "exc_" + hash.hex
    }
}

/// FNV-1a, 64 bits: the same input gives the same value in every process (unlike `Hasher`).
struct StableHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func combine(_ text: String) {
        for byte in text.utf8 {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        value = (value ^ 0x1F) &* 0x0000_0100_0000_01B3
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
