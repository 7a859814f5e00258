// swift-tools-version: 6.1
// lastmile — onboards non-clinical data into an HIE's warehouse as consented, coded flags.
// One module per pipeline stage (see docs/architecture.md); the executable only parses arguments and wires stages.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "lastmile",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lastmile", targets: ["lastmile"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries, each behind a system-library shim. Only the CSV reader and the warehouse import them.
        .systemLibrary(name: "CLibCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // The shared vocabulary of every stage.
        .target(name: "LastMileCore", swiftSettings: strict),

        // Stages.
        .target(name: "Extractors", dependencies: ["LastMileCore", "CLibCSV", "Yams"], swiftSettings: strict),
        .target(name: "Consent", dependencies: ["LastMileCore", "Yams"], swiftSettings: strict),
        .target(name: "Matching", dependencies: ["LastMileCore"], swiftSettings: strict),
        .target(
            name: "Warehouse",
            dependencies: ["LastMileCore", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(name: "Flags", dependencies: ["LastMileCore"], swiftSettings: strict),
        .target(name: "Reports", dependencies: ["LastMileCore"], swiftSettings: strict),
        .target(
            name: "Pipeline",
            dependencies: [
                "LastMileCore", "Extractors", "Consent", "Matching", "Warehouse", "Flags", "Reports", "Yams",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The command-line tool: argument parsing and wiring only.
        .executableTarget(
            name: "lastmile",
            dependencies: [
                "LastMileCore", "Pipeline", "Warehouse", "Extractors", "Matching", "Consent", "Flags", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Benchmark driver for bench/extract.sh (release build only; not shipped).
        .executableTarget(
            name: "lastmile-bench-extract", dependencies: ["Extractors", "LastMileCore"], swiftSettings: strict),

        // Tests. Pure modules run in memory; WarehouseTests and EndToEndTests need the throwaway PostgreSQL
        // that `make test` starts (LASTMILE_TEST_DATABASE_URL).
        .testTarget(name: "LastMileCoreTests", dependencies: ["LastMileCore"], swiftSettings: strict),
        .testTarget(
            name: "ExtractorsTests", dependencies: ["Extractors", "LastMileCore"], exclude: ["Fixtures", "Golden"],
            swiftSettings: strict),
    ]
)
