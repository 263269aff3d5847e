extension Duration {
    /// The duration in seconds, as a Double (for counters and reports).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
