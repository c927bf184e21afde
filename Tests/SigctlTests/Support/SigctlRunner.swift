import TestSupport

/// What one run of `sigctl` produced.
typealias CLIResult = ProcessResult

/// The `sigctl` binary under test (`SIGCTL_BINARY`, or the one built next to the tests).
func sigctlBinary() throws -> String { try NodeProcess.locateBinary() }

/// Starts `sigctl` with `arguments` and returns at once (for `tail`).
func startSigctl(_ arguments: [String], environment: [String: String] = [:], input: CapturedProcess.Input = .null,
                 workingDirectory: String? = nil) throws -> CapturedProcess {
    try CapturedProcess(executable: try sigctlBinary(), arguments: arguments, environment: environment, input: input,
                        workingDirectory: workingDirectory)
}

/// Runs `sigctl` as an operator would, without a terminal, and captures stdout, stderr and the exit code. A run that
/// takes longer than `timeout` is killed (SIGKILL) and reported as timed out.
func sigctl(_ arguments: [String], environment: [String: String] = [:], input: CapturedProcess.Input = .null,
            workingDirectory: String? = nil, timeout: Duration = .seconds(30)) async throws -> CLIResult {
    let program = try startSigctl(arguments, environment: environment, input: input, workingDirectory: workingDirectory)
    return await program.finish(timeout: timeout)
}

/// ANSI escape sequences, which must never reach a stdout that is not a terminal.
func containsEscapes(_ text: String) -> Bool { text.contains("\u{1B}[") }
