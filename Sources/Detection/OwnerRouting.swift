/// Who owns an exception and by when it must be handled (YAML `owners`): the first rule whose
/// `match` fits wins.
public struct OwnerRouting: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// Globs (`*`, `?`) on the exception's class, category, service and tool; nil matches anything.
        public var exceptionClass: String?
        public var category: String?
        public var service: String?
        public var tool: String?
        public var owner: String
        public var slaNanos: UInt64
        /// Who gets the item when its SLA passes (`escalate_to`), if anyone.
        public var escalateTo: String?

        public init(exceptionClass: String? = nil, category: String? = nil, service: String? = nil, tool: String? = nil,
                    owner: String, slaNanos: UInt64, escalateTo: String? = nil) {
            self.escalateTo = escalateTo
            self.exceptionClass = exceptionClass
            self.category = category
            self.service = service
            self.tool = tool
            self.owner = owner
            self.slaNanos = slaNanos
        }

        func matches(_ detection: Detection) -> Bool {
            Glob.matches(exceptionClass, detection.exceptionClass) && Glob.matches(category, detection.category.rawValue)
                && Glob.matches(service, detection.service) && (tool == nil || detection.tool.map { Glob.matches(tool, $0) } == true)
        }
    }

    public var rules: [Rule]
    /// Used when no rule matches: `ops-triage`, 24 h.
    public static let fallback = Rule(owner: "ops-triage", slaNanos: 24 * 3600 * 1_000_000_000)

    public init(rules: [Rule] = []) {
        self.rules = rules
    }

    public static let `default` = OwnerRouting()

    public func route(_ detection: Detection) -> (owner: String, slaNanos: UInt64, escalateTo: String?) {
        let rule = rules.first { $0.matches(detection) } ?? Self.fallback
        return (rule.owner, rule.slaNanos, rule.escalateTo)
    }
}

/// Shell-style globs: `*` any run of characters, `?` one character.
public enum Glob {
    public static func matches(_ pattern: String?, _ text: String) -> Bool {
        guard let pattern else { return true }
        let p = Array(pattern), t = Array(text)
        var (pi, ti) = (0, 0)
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
