// swift-tools-version:6.0
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory, which differs between clones.
let ward = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmark programs, kept apart from the main package so CI's test build stays small.
let package = Package(
    name: "WardBenchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // What the bench servers share: their TLS server context.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "WardTLS", package: ward),
                .product(name: "WardIdentity", package: ward),
            ]
        ),
        // A TLS server on one event loop thread: handshakes for `openssl s_time`, bulk bytes for throughput.
        .executableTarget(
            name: "ward-tls-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "WardTLS", package: ward),
                .product(name: "WardIdentity", package: ward),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The least an HTTP proxy on Ward's stack does per request (TLS + NIOHTTP1 both ways, nothing else).
        .executableTarget(
            name: "ward-http-floor",
            dependencies: [
                "BenchSupport",
                .product(name: "WardProxy", package: ward),
                .product(name: "WardTLS", package: ward),
                .product(name: "WardIdentity", package: ward),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
