// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "sigctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sigctl", targets: ["sigctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C shims: each system library is imported by exactly one Swift target.
        .systemLibrary(
            name: "CHiredis",
            // No pkgConfig: hiredis's .pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning on every
            // build; the shim includes <hiredis/…> by full path and the module map links the library itself.
            // Debian package: libhiredis-dev (installed by `make deps`).
        ),
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),

        // Redis client: hiredis for the protocol, SwiftNIO for I/O.
        .target(
            name: "RedisClient",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The documented Redis schema and its operations, shared by node and CLI.
        .target(
            name: "ClusterState",
            dependencies: [
                "RedisClient",
                "SignalingProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Client wire types and validation rules.
        .target(name: "SignalingProtocol"),

        // The signaling node.
        .target(
            name: "SignalingServer",
            dependencies: [
                "SignalingProtocol",
                "ClusterState",
                "RedisClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The demo call page served at `/` (HTTP/DemoController.swift): plain files, no build step.
            resources: [.copy("Resources/Demo")]
        ),

        // Synthetic clients for `sigctl simulate` and the benchmarks.
        .target(
            name: "Simulation",
            dependencies: [
                "SignalingProtocol",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The executable: one thin file per command.
        .executableTarget(
            name: "sigctl",
            dependencies: [
                "RedisClient",
                "ClusterState",
                "SignalingProtocol",
                "SignalingServer",
                "Simulation",
                "CLibEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Release-mode throughput benchmark of RedisClient (scripts/bench-redis-client.sh).
        .executableTarget(name: "RedisClientBenchmark", dependencies: ["RedisClient"]),
        // Release-mode benchmark of the registry: memory per user, sweep time, registrations per second.
        .executableTarget(name: "ClusterStateBenchmark", dependencies: ["ClusterState", "RedisClient"]),
        // The cost of the WebSocket stacks alone: a bare relay on Hummingbird and on SwiftNIO
        // (scripts/bench-websocket-floor.sh).
        .executableTarget(
            name: "WebSocketFloorBenchmark",
            dependencies: [
                "SignalingProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]),

        // Real redis-server processes and real nodes for tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "RedisClient",
                "SignalingProtocol",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "TestSupport"]),
        .testTarget(
            name: "ClusterStateTests",
            dependencies: [
                "ClusterState", "RedisClient", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SignalingProtocolTests", dependencies: ["SignalingProtocol"]),
        .testTarget(
            name: "SignalingServerTests",
            dependencies: [
                "SignalingServer", "SignalingProtocol", "ClusterState", "RedisClient", "TestSupport",
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        // Real Chromium (the demo page, WebRTC calls) and real nginx (deploy/nginx.conf) in front of real nodes.
        .testTarget(name: "DeploymentTests", dependencies: ["TestSupport"]),
        .testTarget(
            name: "SigctlTests",
            dependencies: ["ClusterState", "RedisClient", "SignalingProtocol", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
