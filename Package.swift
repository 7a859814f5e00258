// swift-tools-version: 6.1
// lastmile — onboards non-clinical data into an HIE's warehouse as consented, coded flags.
// One module per pipeline stage (see docs/architecture.md); the executable only parses arguments and wires stages.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "lastmile",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lastmile", targets: ["lastmile"]),
        // For the libFuzzer package in Fuzz/ (docs/fuzzing.md); not shipped.
        .library(name: "FuzzEntryPoints", targets: ["FuzzEntryPoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        // XLSX inputs are ZIP archives (Extractors); the tests write tiny ones (TestSupport).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries, each behind a system-library shim. Only the CSV reader and the warehouse import them.
        .systemLibrary(name: "CLibCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // The shared vocabulary of every stage.
        .target(name: "LastMileCore", swiftSettings: strict),
        // The one reader of every YAML config file (docs/architecture.md: why not in LastMileCore).
        .target(name: "YAMLConfig", dependencies: ["LastMileCore", "Yams"], swiftSettings: strict),

        // Stages.
        .target(
            name: "Extractors", dependencies: ["LastMileCore", "YAMLConfig", "CLibCSV", "Yams", "ZIPFoundation"],
            swiftSettings: strict),
        .target(name: "Consent", dependencies: ["LastMileCore", "YAMLConfig", "Yams"], swiftSettings: strict),
        .target(name: "Matching", dependencies: ["LastMileCore"], swiftSettings: strict),
        .target(
            name: "Warehouse",
            dependencies: ["LastMileCore", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(name: "Flags", dependencies: ["LastMileCore"], swiftSettings: strict),
        .target(name: "Reports", dependencies: ["LastMileCore"], swiftSettings: strict),
        // Synthetic worlds (never real people) for demos, tests and the matching benchmark.
        .target(name: "SampleData", dependencies: ["LastMileCore"], swiftSettings: strict),
        // Typed access to every warehouse table: the only SQL outside Warehouse (docs/architecture.md).
        .target(
            name: "Store",
            dependencies: [
                "LastMileCore", "Warehouse", "Extractors", "Consent", "Flags", "Reports",
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // The night: config, reference refresh, the stages and their hand-offs.
        .target(
            name: "Pipeline",
            dependencies: [
                "LastMileCore", "YAMLConfig", "Extractors", "Consent", "Matching", "Warehouse", "Flags", "Store",
                "Yams", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // One release path for everything that leaves the HIE: query, consent re-check, render, disclosure,
        // delivery.
        .target(
            name: "Delivery",
            dependencies: [
                "LastMileCore", "YAMLConfig", "Consent", "Reports", "Warehouse", "Store", "Extractors",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The command-line tool: argument parsing and wiring only.
        .executableTarget(
            name: "lastmile",
            dependencies: [
                "LastMileCore", "Pipeline", "Store", "Delivery", "Warehouse", "Extractors", "Matching", "Consent",
                "Flags", "Reports", "SampleData", "YAMLConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Benchmark driver for bench/extract.sh (release build only; not shipped).
        .executableTarget(
            name: "lastmile-bench-extract", dependencies: ["Extractors", "LastMileCore"], swiftSettings: strict),

        // Benchmark driver for bench/*.sh (release builds only; not part of the lastmile product).
        .executableTarget(name: "lastmile-bench", dependencies: ["Warehouse"], swiftSettings: strict),
        // Benchmark runner for flag derivation and report serialisation (docs/benchmarks/flags.md).
        .executableTarget(
            name: "lastmile-bench-flags", dependencies: ["Flags", "Reports", "LastMileCore"], path: "bench/flags",
            swiftSettings: strict),

        // Tests. Pure modules run in memory; WarehouseTests and EndToEndTests use a real PostgreSQL: the one
        // named by LASTMILE_TEST_DATABASE_URL, else a throwaway cluster the test process starts and removes.
        .target(
            name: "TestSupport",
            dependencies: [
                "LastMileCore", "Warehouse", "ZIPFoundation", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict),
        .testTarget(name: "LastMileCoreTests", dependencies: ["LastMileCore"], swiftSettings: strict),
        .testTarget(name: "YAMLConfigTests", dependencies: ["YAMLConfig", "LastMileCore"], swiftSettings: strict),
        .testTarget(
            name: "WarehouseTests",
            dependencies: [
                "Warehouse", "LastMileCore", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ExtractorsTests", dependencies: ["Extractors", "LastMileCore", "TestSupport"],
            exclude: ["Fixtures", "Golden"],
            swiftSettings: strict),
        .testTarget(name: "SampleDataTests", dependencies: ["SampleData", "LastMileCore"], swiftSettings: strict),
        // Benchmarks (release builds only; see docs/benchmarks/).
        .executableTarget(
            name: "lastmile-bench-consent", dependencies: ["Consent", "LastMileCore"], path: "bench/consent",
            swiftSettings: strict),
        .testTarget(
            name: "ConsentTests", dependencies: ["Consent", "LastMileCore"], resources: [.copy("Fixtures")],
            swiftSettings: strict),
        .testTarget(
            name: "FlagsTests", dependencies: ["Flags", "LastMileCore", "Yams"], swiftSettings: strict),
        .testTarget(
            name: "ReportsTests", dependencies: ["Reports", "Flags", "LastMileCore"], exclude: ["Golden"],
            swiftSettings: strict),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "LastMileCore"], swiftSettings: strict),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "Store", "Delivery", "Warehouse", "Consent", "Extractors", "LastMileCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "NightlyRunTests",
            dependencies: [
                "Pipeline", "Store", "Warehouse", "LastMileCore", "SampleData", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "HardeningTests",
            dependencies: [
                "Pipeline", "Store", "Delivery", "Warehouse", "LastMileCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "DeliverTests",
            dependencies: [
                "Pipeline", "Store", "Delivery", "Warehouse", "Reports", "Consent", "Flags", "LastMileCore",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Scripts"],
            swiftSettings: strict),
        // Fuzz targets' bodies (docs/fuzzing.md): run by the libFuzzer executables in Fuzz/ and, on the kept
        // inputs, by FuzzRegressionTests.
        .target(
            name: "FuzzEntryPoints", dependencies: ["Extractors", "Consent", "LastMileCore"], swiftSettings: strict),
        .testTarget(
            name: "FuzzRegressionTests", dependencies: ["FuzzEntryPoints"], exclude: ["Inputs"], swiftSettings: strict),
    ]
)
