import Logging
import Testing
@testable import SignalingServer

@Suite("Configuration: values, .env, precedence", .timeLimit(.minutes(1)))
struct ConfigurationTests {
    @Test func durations() {
        #expect(ValueParsers.duration("10") == .seconds(10))
        #expect(ValueParsers.duration("10s") == .seconds(10))
        #expect(ValueParsers.duration("500ms") == .milliseconds(500))
        #expect(ValueParsers.duration("0.5") == .milliseconds(500))
        #expect(ValueParsers.duration("2m") == .seconds(120))
        #expect(ValueParsers.duration("1h") == .seconds(3600))
        #expect(ValueParsers.duration(" 3s ") == .seconds(3))
        for bad in ["", "s", "ms", "-1", "1e3", "ten", "10 s", "1.2.3", "10x", ".", "inf", "nan"] {
            #expect(ValueParsers.duration(bad) == nil, "\(bad)")
        }
    }

    @Test func booleans() {
        for yes in ["true", "TRUE", "True", "1", "yes", "YES"] { #expect(ValueParsers.boolean(yes) == true) }
        for no in ["false", "FALSE", "0", "no", "No"] { #expect(ValueParsers.boolean(no) == false) }
        for bad in ["", "on", "off", "2", "y", "n"] { #expect(ValueParsers.boolean(bad) == nil, "\(bad)") }
    }

    @Test func defaults() throws {
        let config = try NodeConfiguration.load(hostName: "host")
        #expect(config.port == 9000)
        #expect(config.clusterMode == false)
        #expect(config.redisURL == "redis://127.0.0.1:6379")
        #expect(config.signalRouting == .direct)
        #expect(config.heartbeatInterval == .seconds(10))
        #expect(config.heartbeatTTL == .seconds(30))
        #expect(config.jwtSecret == nil)
        #expect(config.maxConnections == 50_000)
        #expect(config.rateLimit == 50)
        #expect(config.rateLimitBurst == 100)
        #expect(config.logLevel == .info)
        #expect(config.logFormat == .text)
        #expect(config.nodeID.hasPrefix("host-"))
        #expect(config.demo)
    }

    @Test func everySettingParses() throws {
        let env = [
            "PORT": "9100", "BIND_ADDRESS": "127.0.0.1", "NODE_ID": "signaling-1", "CLUSTER_MODE": "yes",
            "REDIS_URL": "redis://:pw@redis.local:6380/2", "SIGNAL_ROUTING": "Broadcast",
            "HEARTBEAT_INTERVAL": "500ms", "HEARTBEAT_TTL": "2", "JWT_SECRET": "s3cret-s3cret-s3cret-s3cret-s3cret", "MAX_CONNECTIONS": "10",
            "RATE_LIMIT": "12.5", "RATE_LIMIT_BURST": "20", "OUTBOUND_QUEUE_LIMIT": "64", "SHUTDOWN_TIMEOUT": "1s",
            "LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json", "OUTBOUND_QUEUE_BYTES": "1048576", "PING_INTERVAL": "15s",
            "EVENT_LOOP_THREADS": "1", "DEMO": "false",
        ]
        let config = try NodeConfiguration.load(environment: env)
        #expect(config.port == 9100)
        #expect(config.bindAddress == "127.0.0.1")
        #expect(config.nodeID == "signaling-1")
        #expect(config.clusterMode)
        #expect(config.redisURL == "redis://:pw@redis.local:6380/2")
        #expect(config.signalRouting == .broadcast)
        #expect(config.heartbeatInterval == .milliseconds(500))
        #expect(config.heartbeatTTL == .seconds(2))
        #expect(config.jwtSecret == "s3cret-s3cret-s3cret-s3cret-s3cret")
        #expect(config.maxConnections == 10)
        #expect(config.rateLimit == 12.5)
        #expect(config.rateLimitBurst == 20)
        #expect(config.outboundQueueLimit == 64)
        #expect(config.shutdownTimeout == .seconds(1))
        #expect(config.logLevel == .debug)
        #expect(config.logFormat == .json)
        #expect(config.outboundQueueBytes == 1_048_576)
        #expect(config.pingInterval == .seconds(15))
        #expect(config.eventLoopThreads == 1)
        #expect(config.demo == false)
    }

    @Test func pingsAreOnByDefaultAndZeroTurnsThemOff() throws {
        #expect(try NodeConfiguration.load(environment: [:]).pingInterval == .seconds(30))
        #expect(try NodeConfiguration.load(environment: ["PING_INTERVAL": "0"]).pingInterval == nil)
        #expect(try NodeConfiguration.load(environment: [:]).eventLoopThreads == nil)
    }

    @Test func flagsBeatEnvironmentBeatsDotEnvBeatsDefaults() throws {
        let dotEnv = ["PORT": "9001", "NODE_ID": "from-file", "MAX_CONNECTIONS": "7", "LOG_LEVEL": "error"]
        let env = ["PORT": "9002", "NODE_ID": "from-env", "MAX_CONNECTIONS": "8"]
        let flags: [Setting: String] = [.port: "9003"]
        let config = try NodeConfiguration.load(flags: flags, environment: env, dotEnv: dotEnv)
        #expect(config.port == 9003)  // flag
        #expect(config.nodeID == "from-env")  // environment over .env
        #expect(config.maxConnections == 8)
        #expect(config.logLevel == .error)  // only in .env
        #expect(config.rateLimit == 50)  // default
    }

    @Test func emptyValuesFallThroughExceptTheSecret() throws {
        let config = try NodeConfiguration.load(
            environment: ["PORT": "", "JWT_SECRET": ""], dotEnv: ["PORT": "9005", "JWT_SECRET": "from-file-0123456789abcdef0123456789"])
        #expect(config.port == 9005)
        #expect(config.jwtSecret == nil, "an empty JWT_SECRET means off, even over .env")
        let flag = "from-the-flag-0123456789abcdef0123", env = "from-the-environment-0123456789abcdef"
        let flagged = try NodeConfiguration.load(flags: [.jwtSecret: flag], environment: ["JWT_SECRET": env])
        #expect(flagged.jwtSecret == flag)
    }

    /// RFC 7518 §3.2: an HS256 key has at least 32 bytes. A shorter secret is an invalid value (one line naming the
    /// setting, never the secret itself); 32 bytes, counted in UTF-8, are enough; empty still means off.
    @Test func aJWTSecretShorterThan32BytesIsAnInvalidValue() throws {
        for short in ["s3cret", String(repeating: "x", count: 31), String(repeating: "\u{e9}", count: 15) + "x"] {
            for source in ["flag", "env", ".env"] {
                do {
                    let config = try NodeConfiguration.load(
                        flags: source == "flag" ? [.jwtSecret: short] : [:],
                        environment: source == "env" ? ["JWT_SECRET": short] : [:],
                        dotEnv: source == ".env" ? ["JWT_SECRET": short] : [:])
                    Issue.record("accepted a \(short.utf8.count)-byte JWT_SECRET from \(source): \(config.jwtSecret ?? "nil")")
                } catch {
                    let text = error.description
                    #expect(text.hasPrefix("invalid JWT_SECRET (--jwt-secret)"), "\(text)")
                    #expect(text.contains("32 bytes") && !text.contains("\n"), "\(text)")
                    #expect(!text.contains(short), "the secret is not echoed: \(text)")
                }
            }
        }
        for enough in [String(repeating: "x", count: 32), String(repeating: "\u{e9}", count: 16), String(repeating: "k", count: 200)] {
            #expect(try NodeConfiguration.load(environment: ["JWT_SECRET": enough]).jwtSecret == enough)
        }
        #expect(try NodeConfiguration.load(environment: ["JWT_SECRET": ""]).jwtSecret == nil)
    }

    @Test(arguments: [
        ("PORT", "abc", "PORT (--port)"), ("PORT", "0", "PORT"), ("PORT", "65536", "PORT"),
        ("NODE_ID", "bad id", "NODE_ID (--node-id)"), ("NODE_ID", String(repeating: "n", count: 65), "NODE_ID"),
        ("CLUSTER_MODE", "maybe", "CLUSTER_MODE (--cluster-mode)"), ("REDIS_URL", "http://x", "REDIS_URL"),
        ("SIGNAL_ROUTING", "multicast", "SIGNAL_ROUTING"), ("HEARTBEAT_INTERVAL", "0", "HEARTBEAT_INTERVAL"),
        ("HEARTBEAT_INTERVAL", "soon", "HEARTBEAT_INTERVAL"), ("HEARTBEAT_TTL", "5", "HEARTBEAT_TTL"),
        ("MAX_CONNECTIONS", "-1", "MAX_CONNECTIONS"), ("RATE_LIMIT", "0", "RATE_LIMIT"),
        ("RATE_LIMIT_BURST", "1.5", "RATE_LIMIT_BURST"), ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"), ("SHUTDOWN_TIMEOUT", "later", "SHUTDOWN_TIMEOUT"),
        ("OUTBOUND_QUEUE_BYTES", "1000", "OUTBOUND_QUEUE_BYTES (--outbound-queue-bytes)"),
        ("PING_INTERVAL", "often", "PING_INTERVAL (--ping-interval)"), ("PING_INTERVAL", "10ms", "PING_INTERVAL"),
        ("PING_INTERVAL", "0.0000000001", "PING_INTERVAL"),
        ("EVENT_LOOP_THREADS", "0", "EVENT_LOOP_THREADS (--event-loop-threads)"),
        ("EVENT_LOOP_THREADS", "many", "EVENT_LOOP_THREADS"),
        ("DEMO", "off", "DEMO (--demo)"),
    ])
    func invalidValueIsOneLineNamingTheSetting(name: String, value: String, named: String) {
        // HEARTBEAT_TTL=5 is below the default 10 s interval.
        #expect {
            try NodeConfiguration.load(environment: [name: value])
        } throws: { error in
            let text = "\(error)"
            return text.contains(named) && !text.contains("\n")
        }
    }

    @Test func invalidValueInDotEnvAndFlagNameTheSetting() {
        #expect(throws: ConfigurationError.self) { try NodeConfiguration.load(dotEnv: ["PORT": "x"]) }
        do {
            _ = try NodeConfiguration.load(flags: [.port: "x"])
            Issue.record("accepted --port x")
        } catch {
            #expect(error.description == "invalid PORT (--port) 'x': expected an integer in 1...65535")
        }
    }

    @Test func defaultNodeIDIsValidAndUniquePerProcess() {
        let a = NodeID.generate(hostName: "web-1.example.com")
        let b = NodeID.generate(hostName: "web-1.example.com")
        #expect(a != b)
        #expect(a.hasPrefix("web-1.example.com-"))
        let odd = NodeID.generate(hostName: "my host:with/odd*chars" + String(repeating: "x", count: 100))
        #expect(odd.count <= 64)
        #expect(odd.hasPrefix("my-host-with-odd-chars"))
        #expect(NodeID.derive(hostName: "", suffix: "abc123") == "node-abc123")
        for id in [a, odd] {
            #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
        }
    }

    @Test func helpNamesEveryEnvironmentVariable() {
        for setting in Setting.allCases {
            #expect(setting.help.contains("(env \(setting.rawValue);"))
        }
    }
}

@Suite(".env parsing", .timeLimit(.minutes(1)))
struct DotEnvTests {
    @Test func plainQuotedExportedAndCommented() throws {
        let text = """
            # a comment
            PORT=9100
            export NODE_ID=node-a
            JWT_SECRET="a \\"quoted\\" secret\\nwith newline" # trailing comment
            REDIS_URL='redis://:p#ss@host:6379' # the # inside quotes stays
            LOG_LEVEL=debug # comment after a value
            FRAGMENT=a#b
            EMPTY=
            SPACED = value with spaces   
            BACKSLASH="C:\\\\dir\\q"
            """
        let values = try DotEnv.parse(text)
        #expect(values["PORT"] == "9100")
        #expect(values["NODE_ID"] == "node-a")
        #expect(values["JWT_SECRET"] == "a \"quoted\" secret\nwith newline")
        #expect(values["REDIS_URL"] == "redis://:p#ss@host:6379")
        #expect(values["LOG_LEVEL"] == "debug")
        #expect(values["FRAGMENT"] == "a#b")
        #expect(values["EMPTY"] == "")
        #expect(values["SPACED"] == "value with spaces")
        #expect(values["BACKSLASH"] == "C:\\dir\\q")
    }

    @Test func multilineQuotesAndCRLF() throws {
        let values = try DotEnv.parse("A=\"line1\nline2\"\r\nB='x'\r\nC=plain\r\n")
        #expect(values["A"] == "line1\nline2")
        #expect(values["B"] == "x")
        #expect(values["C"] == "plain")
    }

    @Test func laterAssignmentWins() throws {
        #expect(try DotEnv.parse("A=1\nA=2\n")["A"] == "2")
    }

    @Test func malformedLinesAreErrorsWithLineNumbers() {
        for (text, line) in [("A=1\nnot a setting\n", 2), ("A=\"open\n", 1), ("A='x' junk\n", 1), ("=1", 1)] {
            #expect {
                try DotEnv.parse(text)
            } throws: { error in
                "\(error)".contains("line \(line)")
            }
        }
    }
}
