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
        subcommands: [Import.self, Merge.self])

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

                With --delta, FILE holds only what changed since the last snapshot, with a further column \
                `change`: added or updated (inserted, updated or re-activated as from a snapshot) or retired \
                (its other fields may be empty). Nobody the delta does not name is retired, and \
                --max-retired-percent does not apply. A patient merged into another stays retired either way \
                (see `lastmile mpi merge`).

                Example:  lastmile mpi import sample-data/mpi.csv --database "$LASTMILE_DATABASE_URL"
                          lastmile mpi import --delta sample-data/mpi-delta.csv
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The MPI extract (canonical person CSV).", valueName: "file"))
        var file: String

        @Option(
            help: ArgumentHelp(
                "Refuse (exit 65) a snapshot that would retire more than this share of the active patients; 100 allows any.",
                valueName: "percent"))
        var maxRetiredPercent: Double = 25

        @ArgumentParser.Flag(help: "FILE is a delta (a `change` column: added, updated, retired), not a snapshot.")
        var delta = false

        func validate() throws {
            guard (0...100).contains(maxRetiredPercent) else {
                throw ValidationError("--max-retired-percent: expected a number from 0 to 100")
            }
        }

        func run() throws {
            let logger = global.makeLogger()
            let now = try global.clock().now
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let summary = try PatientImport.run(
                file: file, delta: delta, maxRetiredPercent: maxRetiredPercent, appliedAt: now,
                connection: connection, logger: logger)
            print(
                "mpi import \(delta ? "--delta " : "")\(summary.file): "
                    + summary.counts.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
            )
            printRejections(summary.rejections.map(\.description))
        }
    }
}

extension MPICommand {
    /// `lastmile mpi merge FILE`: patient merges and unmerges from the EMPI.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Apply patient merges and unmerges from the EMPI (ADT A40, FHIR replaced-by).",
            discussion: """
                FILE is a CSV with columns merged_id,surviving_id and optionally action (merge, the default, or \
                unmerge), or FHIR Patient NDJSON (.ndjson): a Patient with a link of type replaced-by to \
                Patient/<id> was merged into that patient; a Patient sent again without it (and not active: \
                false) while merged is unmerged. In one transaction, in file order: the merged patient's \
                crosswalk entries, events and attribution follow the survivor and the merged patient is retired; \
                an unmerge moves back what came from it and re-activates it. The accounting of disclosures keeps \
                the ids it recorded (`lastmile disclosures` shows where a merged id went). Flags follow at the \
                next `lastmile run` (or in the same run, when the pipeline names the file as reference.mpi_merges). \
                A row naming an unknown patient, one merged elsewhere, or a cycle is listed by line and skipped; \
                applying a file twice changes nothing.

                Example:  lastmile mpi merge sample-data/mpi-merges.csv
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The merge file (.csv or FHIR Patient .ndjson).", valueName: "file"))
        var file: String

        func run() throws {
            let logger = global.makeLogger()
            let now = try global.clock().now
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let summary = try PatientMergeImport.run(file: file, at: now, connection: connection, logger: logger)
            print(
                "mpi merge \(summary.file): " + summary.counts.map { "\($0.name) \($0.value)" }.joined(separator: ", "))
            printRejections(summary.rejections.map(\.description), heading: "rejected rows")
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
