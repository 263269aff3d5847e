/// What kind of failure an exception is (the contract's categories).
public enum ExceptionCategory: String, Sendable, Equatable, CaseIterable {
    case policy
    case confidence
    case dataIntegrity = "data_integrity"
    case businessRule = "business_rule"
    case transient
}

/// How urgently an exception needs a human.
public enum ExceptionSeverity: String, Sendable, Equatable, CaseIterable {
    case critical, high, normal
}
