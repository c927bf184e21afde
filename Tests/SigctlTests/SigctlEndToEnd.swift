import Testing

/// Every end-to-end suite of the operator commands runs under this one, one test at a time: each test starts its own
/// Redis and nodes, and the machine has two cores shared with other builds.
@Suite("sigctl operator commands, end to end", .serialized, .timeLimit(.minutes(2)))
struct SigctlEndToEnd {}
