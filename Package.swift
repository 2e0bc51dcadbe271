// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Ward",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ward", targets: ["ward"]),
        .library(name: "WardIdentity", targets: ["WardIdentity"]),
        .library(name: "WardPolicy", targets: ["WardPolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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

        // Policy language, compiler, decision tables, evaluator.
        .target(name: "WardPolicy", dependencies: ["WardJSON", "WardIdentity"]),

        // The CLI only.
        .executableTarget(
            name: "ward",
            dependencies: [
                "WardJSON", "WardIdentity", "WardPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "WardJSONTests", dependencies: ["WardJSON"]),
        .testTarget(name: "WardIdentityTests", dependencies: ["WardIdentity", "WardJSON"]),
        .testTarget(name: "WardPolicyTests", dependencies: ["WardPolicy", "WardIdentity", "WardJSON"]),
        // Runs the built `ward` binary against real clients; depends on it so `swift test` builds it.
        .testTarget(name: "WardEndToEndTests", dependencies: ["ward", "WardJSON"]),
    ]
)
