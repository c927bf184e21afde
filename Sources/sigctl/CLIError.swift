import ArgumentParser
import Foundation
import RedisClient

/// A failure the operator should read as one line on stderr, with the exit code it maps to
/// (2 and up for errors; 1 is reserved for "found something" results).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 2) {
        self.description = description
        self.exitCode = exitCode
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("sigctl: \(message)\n".utf8))
}

/// Runs a command body, turning every error it throws into one line on stderr and an exit code,
/// so that no operator ever sees a stack trace or a Swift type name.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        printError(error.description)
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch is CancellationError {
        throw CancellationError()
    } catch let error as RedisError {
        printError(error.description)
        throw ExitCode(2)
    } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
}
