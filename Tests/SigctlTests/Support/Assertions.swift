import Foundation
import Testing

/// A JSON number as an unsigned integer (JSONSerialization gives NSNumber).
func uint(_ value: Any?) -> UInt64? {
    if let n = value as? NSNumber, !(value is Bool) { return n.uint64Value }
    if let i = value as? Int { return UInt64(exactly: i) }
    return nil
}

func int(_ value: Any?) -> Int? {
    if let n = value as? NSNumber { return n.intValue }
    return value as? Int
}

/// Checks the shape every failing operator command must have: the exit code, nothing on stdout, exactly one line on
/// stderr starting with `sigctl:`, and no trace of a crash or a Swift type name.
func expectOneLineError(_ result: CLIResult, exitCode: Int32 = 2, mentioning needles: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.timedOut, "\(result)", sourceLocation: sourceLocation)
    #expect(result.exitCode == exitCode, "\(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout should be empty: \(result)", sourceLocation: sourceLocation)
    let lines = result.stderrLines
    #expect(lines.count == 1, "exactly one line on stderr: \(result)", sourceLocation: sourceLocation)
    #expect(lines.first?.hasPrefix("sigctl: ") == true, "\(result)", sourceLocation: sourceLocation)
    for needle in needles {
        #expect(result.stderr.contains(needle), "stderr should mention '\(needle)': \(result)", sourceLocation: sourceLocation)
    }
    for trace in ["Fatal error", "Stack dump", "RedisError", "ClusterStateError", "Swift.", "0x0000", ".swift:"] {
        #expect(!result.stderr.contains(trace), "stderr looks like a crash or a type dump ('\(trace)'): \(result)",
                sourceLocation: sourceLocation)
    }
}
