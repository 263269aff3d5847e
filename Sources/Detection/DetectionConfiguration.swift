/// What the detectors look for and when they fire (YAML `detect`), with the built-in defaults.
public struct DetectionConfiguration: Sendable, Equatable {
    /// `detect.enabled`: false stores and stitches spans but detects nothing (default true).
    public var enabled: Bool
    /// `detect.repeat_failure.max_attempts`: failures of a transient type before it fires (default 3).
    public var maxAttempts: Int
    /// `detect.repeat_failure.non_transient_max_attempts`: failures of any other type (default 2).
    public var nonTransientMaxAttempts: Int
    /// `detect.repeat_failure.transient_error_types`: failure types a retry may fix (matched
    /// case-insensitively, as a substring: `TimeoutError` is a `timeout`).
    public var transientErrorTypes: [String]
    /// `detect.repeat_failure.generic_error_types`: wrapper types that say nothing of the cause
    /// (pydantic-ai `ToolRetryError`, MCP `tool_error`, GenAI `_OTHER`); a failure of such a type
    /// is typed from its message or status description instead (matched case-insensitively
    /// against the type's last dotted component).
    public var genericErrorTypes: [String]
    /// `detect.stale_connector_data.max_age` (default 15 minutes), in nanoseconds.
    public var maxDataAgeNanos: UInt64
    /// `detect.stale_connector_data.max_age_by_connector`, in nanoseconds.
    public var maxDataAgeByConnector: [String: UInt64]
    /// `detect.stale_connector_data.stale_reads_before_escalation` (default 2).
    public var staleReadsBeforeEscalation: Int
    /// `detect.approval.required_tools`: globs of tool names that need a granted approval.
    public var approvalRequiredTools: [String]
    /// `detect.unresolved_failure.settle_after`: how long a workflow must be quiet before an
    /// unrecovered failure counts as unresolved (default 30 s), in nanoseconds.
    public var settleAfterNanos: UInt64
    /// `detect.rules`: custom attribute rules.
    public var rules: [AttributeRule]

    public init(
        enabled: Bool = true,
        maxAttempts: Int = 3,
        nonTransientMaxAttempts: Int = 2,
        transientErrorTypes: [String] = ["timeout", "rate_limited", "429", "503", "504", "unavailable"],
        genericErrorTypes: [String] = ["ToolRetryError", "ToolFailedError", "tool_error", "_OTHER", "error"],
        maxDataAgeNanos: UInt64 = 15 * 60 * 1_000_000_000,
        maxDataAgeByConnector: [String: UInt64] = [:],
        staleReadsBeforeEscalation: Int = 2,
        approvalRequiredTools: [String] = [],
        settleAfterNanos: UInt64 = 30 * 1_000_000_000,
        rules: [AttributeRule] = []
    ) {
        self.enabled = enabled
        self.approvalRequiredTools = approvalRequiredTools
        self.settleAfterNanos = settleAfterNanos
        self.maxAttempts = maxAttempts
        self.nonTransientMaxAttempts = nonTransientMaxAttempts
        self.transientErrorTypes = transientErrorTypes
        self.genericErrorTypes = genericErrorTypes
        self.maxDataAgeNanos = maxDataAgeNanos
        self.maxDataAgeByConnector = maxDataAgeByConnector
        self.staleReadsBeforeEscalation = staleReadsBeforeEscalation
        self.rules = rules
    }

    public static let `default` = DetectionConfiguration()
}

/// A custom rule (YAML `detect.rules[]`): a numeric attribute below or above a threshold, or an
/// attribute equal to a value, opens an exception of the configured class.
public struct AttributeRule: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        case below(Double)
        case above(Double)
        case equals(String)
    }

    public var name: String
    public var attribute: String
    public var condition: Condition
    public var exceptionClass: String
    public var category: ExceptionCategory
    public var severity: ExceptionSeverity
    /// Whether its open, undecided exceptions hold the agent (`decisions`); default true.
    public var blocking: Bool

    public init(name: String, attribute: String, condition: Condition, exceptionClass: String,
                category: ExceptionCategory, severity: ExceptionSeverity, blocking: Bool = true) {
        self.blocking = blocking
        self.name = name
        self.attribute = attribute
        self.condition = condition
        self.exceptionClass = exceptionClass
        self.category = category
        self.severity = severity
    }
}
