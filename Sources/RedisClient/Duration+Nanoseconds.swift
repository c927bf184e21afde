extension Duration {
    /// Whole nanoseconds, saturating; NIO's `TimeAmount` and deadlines are in nanoseconds.
    var nanoseconds: Int64 {
        let (s, atto) = components
        let (n, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : n + atto / 1_000_000_000
    }
}
