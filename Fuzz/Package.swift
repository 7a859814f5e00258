// swift-tools-version: 6.1
// libFuzzer executables for lastmile (docs/fuzzing.md). A package of its own because an executable whose only
// entry is LLVMFuzzerTestOneInput links only with -sanitize=fuzzer, which the main package's build never uses.
// Build and run through scripts/fuzz.sh.
import PackageDescription

let fuzzTargets = ["FuzzCSVReader", "FuzzDateParsers", "FuzzSourceConfig", "FuzzFHIRConsent"]

let package = Package(
    name: "lastmile-fuzz",
    dependencies: [.package(name: "lastmile", path: "..")],
    targets: fuzzTargets.map {
        .executableTarget(name: $0, dependencies: [.product(name: "FuzzEntryPoints", package: "lastmile")])
    }
)
