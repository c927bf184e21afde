import Foundation
import RedisClient
import TestSupport
import Testing

extension SigctlEndToEnd {
    @Suite("Redis down: one readable line, exit 2", .timeLimit(.minutes(2)))
    struct RedisDown {
        static let commands: [[String]] = [
            ["rooms", "list"],
            ["rooms", "list", "--match", "team-*"],
            ["rooms", "inspect", "room123"],
            ["servers", "list"],
            ["servers", "inspect", "node-1"],
            ["sweep", "--dry-run"],
            ["sweep", "--yes"],
            ["sweep"],
            ["sweep", "--node", "node-1", "--yes"],
            ["tail", "--count", "1"],
        ]

        @Test func everyCommandExitsTwoWithOneLineNamingTheMaskedURL() async throws {
            let port = freeLoopbackPort()
            let url = "redis://:secret@127.0.0.1:\(port)"
            let masked = "redis://:***@127.0.0.1:\(port)"
            for command in Self.commands {
                for format in [["--format", "text"], ["--format", "json"]] {
                    let result = try await sigctl(command + format + ["--redis-url", url], timeout: .seconds(20))
                    expectOneLineError(result, mentioning: [masked])
                    #expect(!result.stderr.contains("secret") && !result.stdout.contains("secret"), "the password leaked: \(result)")
                }
            }
            // The same through the environment (how operators usually set it).
            let fromEnv = try await sigctl(["servers", "list"], environment: ["REDIS_URL": url])
            expectOneLineError(fromEnv, mentioning: [masked])
            #expect(!fromEnv.stderr.contains("secret"), "\(fromEnv)")
        }

        @Test func wrongPasswordIsOneLineWithoutThePassword() async throws {
            let redis = try await RedisServer.start(password: "right-one")
            let url = "redis://:secret@127.0.0.1:\(redis.port)"
            for command in [["rooms", "list"], ["servers", "inspect", "node-1"], ["sweep", "--yes"], ["tail", "--count", "1"]] {
                let result = try await sigctl(command + ["--redis-url", url], timeout: .seconds(20))
                expectOneLineError(result, mentioning: ["redis://:***@127.0.0.1:\(redis.port)"])
                #expect(!result.stderr.contains("secret"), "the password leaked: \(result)")
            }
            // The right password works (so the failures above were about the password).
            let ok = try await sigctl(["rooms", "list", "--format", "json", "--redis-url", redis.url])
            #expect(ok.exitCode == 0 && (try? ok.json() as? [Any])?.isEmpty == true, "\(ok)")
        }

        @Test func anInvalidURLIsOneLineWithoutThePassword() async throws {
            for url in ["http://:secret@127.0.0.1:6379", "redis://:secret@127.0.0.1:notaport"] {
                let result = try await sigctl(["rooms", "list", "--redis-url", url])
                expectOneLineError(result)
                #expect(!result.stderr.contains("secret"), "the password leaked: \(result)")
            }
        }
    }
}
