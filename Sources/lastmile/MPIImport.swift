import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import Warehouse

/// `lastmile mpi …`: the HIE's patient extract in the warehouse.
struct MPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi",
        abstract: "Manage the MPI snapshot (the HIE's patients) in the warehouse.",
        discussion: "Example:  lastmile mpi import sample-data/mpi.csv",
        subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load or refresh the MPI snapshot into lastmile.patient.",
            discussion: """
                FILE is the canonical person CSV (id,given_name,family_name,birth_date,sex,street,city,state,\
                postal_code,phone,ssn) whose id is the HIE patient id. In one transaction: new patients are \
                inserted, patients whose demographics changed are updated, patients missing from the snapshot \
                are retired (never deleted) and a returning patient is re-activated. Importing the same file \
                twice changes nothing. Bad rows are skipped and listed by line (never their values); an \
                unusable file (missing column, not text, no usable row) exits 65 and changes nothing, as does a \
                snapshot that would retire more than --max-retired-percent of the active patients (a truncated \
                extract, most likely).

                Example:  lastmile mpi import sample-data/mpi.csv --database "$LASTMILE_DATABASE_URL"
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The MPI extract (canonical person CSV).", valueName: "file"))
        var file: String

        @Option(
            help: ArgumentHelp(
                "Refuse (exit 65) a snapshot that would retire more than this share of the active patients; 100 allows any.",
                valueName: "percent"))
        var maxRetiredPercent: Double = 25

        func validate() throws {
            guard (0...100).contains(maxRetiredPercent) else {
                throw ValidationError("--max-retired-percent: expected a number from 0 to 100")
            }
        }

        func run() throws {
            let logger = global.makeLogger()
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let summary = try PatientImport.run(
                file: file, maxRetiredPercent: maxRetiredPercent, connection: connection, logger: logger)
            print(
                "mpi import \(summary.file): " + summary.counts.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
            )
            printRejections(summary.rejections.map(\.description))
        }
    }
}

/// Prints rejected rows by location (at most `limit`), the way every reference-data import does.
func printRejections(_ lines: [String], limit: Int = 50, heading: String = "rejected rows") {
    guard !lines.isEmpty else { return }
    print("\(heading):")
    for line in lines.prefix(limit) { print("  \(line)") }
    if lines.count > limit { print("  … and \(lines.count - limit) more") }
}
