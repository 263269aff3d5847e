/// How a failure's type is read (YAML `detect.repeat_failure.transient_error_types` and
/// `generic_error_types`): which types a retry may fix, and which are wrappers that say nothing.
public struct FailureTyping: Sendable, Equatable {
    public let transientErrorTypes: [String]
    public let genericErrorTypes: [String]
    /// The same, lowercased once: every failed span of every request is typed.
    private let transientLowercased: [String]
    private let genericLowercased: Set<String>

    public init(transientErrorTypes: [String], genericErrorTypes: [String]) {
        self.transientErrorTypes = transientErrorTypes
        self.genericErrorTypes = genericErrorTypes
        transientLowercased = transientErrorTypes.map { $0.lowercased() }
        genericLowercased = Set(genericErrorTypes.map { $0.lowercased() })
    }

    public static let `default` = DetectionConfiguration.default.failureTyping

    /// Whether a failure of `type` is one a retry may fix (a configured type as a substring:
    /// `TimeoutError` is a `timeout`).
    public func isTransient(_ type: String) -> Bool {
        let lowered = type.lowercased()
        return transientLowercased.contains { lowered.contains($0) }
    }

    /// Whether `type` is a wrapper (`pydantic_ai.exceptions.ToolRetryError`, `tool_error`, `_OTHER`).
    public func isGeneric(_ type: String) -> Bool {
        let lowered = type.lowercased()
        if genericLowercased.contains(lowered) { return true }
        guard let dot = lowered.lastIndex(of: ".") else { return false }
        return genericLowercased.contains(String(lowered[lowered.index(after: dot)...]))
    }

    /// The transient type a message speaks of ("inventory service timed out" → `timeout`), or nil.
    public func transientType(inMessage message: String) -> String? {
        let words = Self.words(message)
        guard !words.isEmpty else { return nil }
        let text = " " + words.joined(separator: " ") + " "
        for (phrase, type) in Self.phrases where text.contains(" \(phrase) ") {
            if let configured = transientErrorTypes.first(where: { $0.caseInsensitiveCompare(type) == .orderedSame }) { return configured }
        }
        for type in transientErrorTypes {
            let needle = Self.words(type).joined(separator: " ")
            if !needle.isEmpty, text.contains(" \(needle) ") { return type }
        }
        return nil
    }

    /// A type named at the start of a message (`AddressNotFoundError: no such street`), or nil.
    static func leadingType(_ message: String) -> String? {
        guard let colon = message.firstIndex(of: ":") else { return nil }
        let candidate = message[..<colon].trimmingCharacters(in: .whitespaces)
        guard let first = candidate.first, first.isLetter || first == "_", candidate.count <= 80,
              candidate.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }),
              candidate.contains(where: \.isUppercase) || candidate.contains("_") else { return nil }
        return candidate
    }

    /// Lowercased words of letters and digits.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// How messages say the transient types.
    static let phrases: [(String, String)] = [
        ("timed out", "timeout"), ("timeout", "timeout"), ("time out", "timeout"), ("deadline exceeded", "timeout"),
        ("rate limit", "rate_limited"), ("rate limited", "rate_limited"), ("ratelimit", "rate_limited"),
        ("too many requests", "429"), ("service unavailable", "unavailable"), ("temporarily unavailable", "unavailable"),
        ("gateway timeout", "504"), ("bad gateway", "503"),
    ]
}

extension DetectionConfiguration {
    public var failureTyping: FailureTyping {
        FailureTyping(transientErrorTypes: transientErrorTypes, genericErrorTypes: genericErrorTypes)
    }
}
