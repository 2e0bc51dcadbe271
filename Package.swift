// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Ward",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ward", targets: ["ward"]),
        .library(name: "WardIdentity", targets: ["WardIdentity"]),
        .library(name: "WardPolicy", targets: ["WardPolicy"]),
        .library(name: "WardTLS", targets: ["WardTLS"]),
        .library(name: "WardProxy", targets: ["WardProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C system libraries. Macros Swift cannot import get `static inline` shims in each module's shim.h.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),

        // The one Swift face over jansson.
        .target(name: "WardJSON", dependencies: ["CJansson"]),

        // SPIFFE IDs, keys, certificates, the CA, bundles, SVID verification.
        .target(name: "WardIdentity", dependencies: ["COpenSSL", "WardJSON"]),

        // A prefetch hint for the policy evaluator (Swift cannot spell one).
        .target(name: "CWardPrefetch"),

        // Policy language, compiler, decision tables, evaluator.
        .target(name: "WardPolicy", dependencies: ["WardJSON", "WardIdentity", "CWardPrefetch"]),

        // Mutual TLS through OpenSSL as a SwiftNIO channel handler, with SPIFFE peer verification.
        .target(
            name: "WardTLS",
            dependencies: [
                "COpenSSL", "WardIdentity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),

        // The enforcing proxy: listeners, authorization, upstream pool, admin server, metrics, reload, drain.
        .target(
            name: "WardProxy",
            dependencies: [
                "WardJSON", "WardIdentity", "WardPolicy", "WardTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The CLI only.
        .executableTarget(
            name: "ward",
            dependencies: [
                "WardJSON", "WardIdentity", "WardPolicy", "WardTLS", "WardProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Helpers shared by test targets: running real programs, temporary directories.
        .target(name: "WardTestSupport", path: "Tests/WardTestSupport"),

        .testTarget(name: "WardJSONTests", dependencies: ["WardJSON"]),
        .testTarget(name: "WardIdentityTests", dependencies: ["WardIdentity", "WardJSON", "WardTestSupport"]),
        .testTarget(
            name: "WardTLSTests",
            dependencies: [
                "WardTLS", "WardIdentity", "WardTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WardProxyTests",
            dependencies: [
                "WardProxy", "WardTLS", "WardIdentity", "WardPolicy", "WardJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "WardPolicyTests", dependencies: ["WardPolicy", "WardIdentity", "WardJSON"]),
        // Runs the built `ward` binary against real clients; depends on it so `swift test` builds it.
        .testTarget(name: "WardEndToEndTests", dependencies: ["ward", "WardJSON", "WardTestSupport"]),
    ]
)
