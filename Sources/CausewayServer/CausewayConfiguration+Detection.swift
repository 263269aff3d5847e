import Foundation
import Detection
import TraceModel
import Yams

extension CausewayConfiguration {
    /// Reads `detect` (DESIGN.md §3) over the defaults.
    static func readDetect(_ detect: YAMLSection, into configuration: inout DetectionConfiguration) throws(ConfigurationError) {
        try detect.onlyKeys(["enabled", "repeat_failure", "stale_connector_data", "approval", "unresolved_failure", "rules"])
        if let enabled = try detect.bool("enabled") { configuration.enabled = enabled }
        if let section = try detect.section("repeat_failure") {
            try section.onlyKeys(["max_attempts", "non_transient_max_attempts", "transient_error_types", "generic_error_types"])
            if let value = try section.positiveInt("max_attempts") { configuration.maxAttempts = value }
            if let value = try section.positiveInt("non_transient_max_attempts") { configuration.nonTransientMaxAttempts = value }
            if let value = try section.stringList("transient_error_types") { configuration.transientErrorTypes = value }
            if let value = try section.stringList("generic_error_types") { configuration.genericErrorTypes = value }
        }
        if let section = try detect.section("stale_connector_data") {
            try section.onlyKeys(["max_age", "stale_reads_before_escalation", "max_age_by_connector"])
            if let value = try section.duration("max_age") { configuration.maxDataAgeNanos = value }
            if let value = try section.positiveInt("stale_reads_before_escalation") { configuration.staleReadsBeforeEscalation = value }
            if let byConnector = try section.section("max_age_by_connector") {
                for name in byConnector.keys {
                    if let value = try byConnector.duration(name) { configuration.maxDataAgeByConnector[name] = value }
                }
            }
        }
        if let section = try detect.section("approval") {
            try section.onlyKeys(["required_tools"])
            if let value = try section.stringList("required_tools") { configuration.approvalRequiredTools = value }
        }
        if let section = try detect.section("unresolved_failure") {
            try section.onlyKeys(["settle_after"])
            if let value = try section.duration("settle_after") { configuration.settleAfterNanos = value }
        }
        if let rules = try detect.sectionList("rules") {
            configuration.rules = try rules.map { rule throws(ConfigurationError) in try readRule(rule) }
        }
    }

    static func readRule(_ rule: YAMLSection) throws(ConfigurationError) -> AttributeRule {
        try rule.onlyKeys(["name", "attribute", "below", "above", "equals", "class", "category", "severity", "blocking"])
        guard let name = try rule.string("name"), !name.isEmpty else { throw rule.missing("name") }
        guard let attribute = try rule.string("attribute"), !attribute.isEmpty else { throw rule.missing("attribute") }
        let condition: AttributeRule.Condition
        if let below = try rule.number("below") {
            condition = .below(below)
        } else if let above = try rule.number("above") {
            condition = .above(above)
        } else if let equals = try rule.string("equals") {
            condition = .equals(equals)
        } else {
            throw rule.missing("below, above or equals")
        }
        let category = try rule.choice("category", ExceptionCategory.self) ?? .businessRule
        let severity = try rule.choice("severity", ExceptionSeverity.self) ?? .high
        return AttributeRule(name: name, attribute: attribute, condition: condition,
                             exceptionClass: try rule.string("class") ?? name, category: category, severity: severity,
                             blocking: try rule.bool("blocking") ?? true)
    }

    /// Reads `owners`: a list of `{match: {class, category, service, tool}, owner, sla}`.
    static func readOwners(_ list: [YAMLSection]) throws(ConfigurationError) -> OwnerRouting {
        var rules: [OwnerRouting.Rule] = []
        for entry in list {
            try entry.onlyKeys(["match", "owner", "sla", "escalate_to"])
            guard let owner = try entry.string("owner"), !owner.isEmpty else { throw entry.missing("owner") }
            var rule = OwnerRouting.Rule(owner: owner, slaNanos: try entry.duration("sla") ?? OwnerRouting.fallback.slaNanos)
            if let escalateTo = try entry.string("escalate_to") {
                guard !escalateTo.isEmpty else { throw entry.missing("escalate_to") }
                rule.escalateTo = escalateTo
            }
            if let match = try entry.section("match") {
                try match.onlyKeys(["class", "category", "service", "tool"])
                rule.exceptionClass = try match.string("class")
                rule.category = try match.string("category")
                rule.service = try match.string("service")
                rule.tool = try match.string("tool")
            }
            rules.append(rule)
        }
        return OwnerRouting(rules: rules)
    }
}

extension YAMLSection {
    var keys: [String] { mapping.compactMap { $0.key.string } }

    func line(of key: String) -> Int { mapping[key]?.mark?.line ?? line }

    func missing(_ key: String) -> ConfigurationError {
        ConfigurationError("\(path) at line \(line) needs \(key)")
    }

    /// `15m`, `30s`, `4h`, `1h30m`, `500ms`, `2d`, in nanoseconds.
    func duration(_ key: String) throws(ConfigurationError) -> UInt64? {
        guard let text = try string(key) else { return nil }
        guard let nanos = DurationText.parse(text), nanos > 0 else {
            throw ConfigurationError("\(path.isEmpty ? key : path + "." + key) at line \(line(of: key)) must be a duration like 30s, 15m or 4h, got \"\(text)\"")
        }
        return nanos
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError("\(path).\(key) at line \(line(of: key)) must be true or false, got \"\(text)\"")
        }
    }

    func number(_ key: String) throws(ConfigurationError) -> Double? {
        guard let text = try string(key) else { return nil }
        guard let number = Double(text), number.isFinite else {
            throw ConfigurationError("\(path).\(key) at line \(line(of: key)) must be a number, got \"\(text)\"")
        }
        return number
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(ConfigurationError) -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw ConfigurationError("\(path).\(key) at line \(line(of: key)) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return value
    }

    func stringList(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = mapping[key], !node.isNull else { return nil }
        guard let sequence = node.sequence, sequence.allSatisfy({ $0.scalar != nil }) else {
            throw ConfigurationError("\(path).\(key) at line \(line(of: key)) must be a list of values")
        }
        return sequence.compactMap { $0.scalar?.string }
    }

    func sectionList(_ key: String) throws(ConfigurationError) -> [YAMLSection]? {
        guard let node = mapping[key], !node.isNull else { return nil }
        guard let sequence = node.sequence else {
            throw ConfigurationError("\(path.isEmpty ? key : path + "." + key) at line \(line(of: key)) must be a list")
        }
        var sections: [YAMLSection] = []
        for (index, item) in sequence.enumerated() {
            sections.append(try YAMLSection(item, path: "\(path.isEmpty ? key : path + "." + key)[\(index)]"))
        }
        return sections
    }
}
