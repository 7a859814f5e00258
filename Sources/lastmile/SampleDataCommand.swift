import ArgumentParser
import Foundation
import LastMileCore
import Logging
import Pipeline
import SampleData

/// `lastmile sample-data …`: synthetic worlds for demos, tests and benchmarks.
struct SampleDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-data",
        abstract: "Generate synthetic data (never real people).",
        discussion: """
            Every person, address, phone number and SSN is made up from embedded lists and a seeded \
            generator; the same seed gives byte-identical files.

            Example:  lastmile sample-data generate --people 300 --seed 20261120 --out sample-data
            """,
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic world, or a matching benchmark world with --benchmark.",
            discussion: """
                Without --benchmark: an MPI extract, practices, attribution, consent directives and one input \
                per source (school attendance, Ed-Fi events, an HMIS CSV FY2026 folder, jail bookings, a \
                by-name list with eviction filings) under OUT/, in the file names of docs/sample-data.md.

                With --benchmark: OUT/mpi.csv, OUT/incoming.csv and OUT/truth.csv in the canonical person \
                schema, streamed (a 1,000,000-patient MPI takes seconds in a release build).

                Example:  lastmile sample-data generate --benchmark --mpi-size 100000 --seed 7 --out bench-work/100k
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Synthetic people in the world (about 70 % become MPI patients).")
        var people = 300

        @Option(help: "Seed of the generator; the same seed gives byte-identical output.")
        var seed: UInt64 = 20_261_120

        @Option(help: ArgumentHelp("Output directory (created when missing).", valueName: "dir"))
        var out: String

        @Option(help: ArgumentHelp("The world's today: the school year runs to it.", valueName: "YYYY-MM-DD"))
        var asOf = "2026-11-20"

        @ArgumentParser.Flag(
            help: "Also write truth/students.csv (each student's true patient and absences) for list recall.")
        var truth = false

        @ArgumentParser.Flag(help: "Write a matching benchmark world (mpi.csv, incoming.csv, truth.csv).")
        var benchmark = false

        @Option(help: "With --benchmark: patients in the MPI.")
        var mpiSize: Int?

        @Option(help: "With --benchmark: incoming records per MPI patient.")
        var incomingRatio = 0.5

        @Option(help: "With --benchmark: share of incoming records whose person is not in the MPI.")
        var notInMpi = 0.3

        func validate() throws {
            guard CivilDate(iso: asOf) != nil else { throw ValidationError("--as-of must be a date YYYY-MM-DD") }
            if benchmark {
                guard mpiSize != nil else { throw ValidationError("--benchmark needs --mpi-size") }
            } else {
                guard mpiSize == nil else { throw ValidationError("--mpi-size needs --benchmark") }
                guard (10...2_000_000).contains(people) else {
                    throw ValidationError("--people must be between 10 and 2000000")
                }
            }
        }

        func run() throws {
            let logger = global.makeLogger()
            guard let asOfDate = CivilDate(iso: asOf) else { throw ValidationError("--as-of must be YYYY-MM-DD") }
            let started = ContinuousClock.now
            if benchmark, let mpiSize {
                let options = BenchmarkOptions(
                    mpiSize: mpiSize, incomingRatio: incomingRatio, notInMPI: notInMpi, seed: seed, asOf: asOfDate)
                let summary = try BenchmarkWorld.generate(options, into: out)
                logger.info(
                    "benchmark world written",
                    metadata: [
                        "mpi.records": .number(summary.mpiRecords),
                        "incoming.records": .number(summary.incomingRecords),
                        "seconds": .seconds((ContinuousClock.now - started).seconds),
                    ])
                let share =
                    summary.incomingRecords == 0
                    ? 0 : Double(summary.incomingNotInMPI) / Double(summary.incomingRecords)
                print(
                    "wrote \(out)/mpi.csv (\(summary.mpiRecords)), incoming.csv (\(summary.incomingRecords), "
                        + "\(String(format: "%.1f", share * 100)) % not in the MPI), truth.csv")
            } else {
                let summary = try SampleWorld.generate(
                    SampleWorldOptions(people: people, seed: seed, asOf: asOfDate, writeTruth: truth), into: out)
                logger.info(
                    "sample world written",
                    metadata: [
                        "people": .number(summary.people), "files": .number(summary.files.count),
                        "seconds": .seconds((ContinuousClock.now - started).seconds),
                    ])
                for (file, rows) in summary.files {
                    print("\(file)\t\(rows) rows")
                }
                let share =
                    summary.peopleInSources == 0
                    ? 0 : Double(summary.peopleInSourcesNotInMPI) / Double(summary.peopleInSources)
                print(
                    "\(summary.people) people, \(summary.patients) in the MPI; \(summary.peopleInSources) in the "
                        + "sources, \(String(format: "%.1f", share * 100)) % of them not in the MPI")
            }
        }
    }
}
