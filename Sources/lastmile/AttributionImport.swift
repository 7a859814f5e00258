import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import Warehouse

/// `lastmile attribution …`: the patient → practice panel in the warehouse.
struct AttributionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Manage the patient → practice attribution panel in the warehouse.",
        discussion:
            "Example:  lastmile attribution import sample-data/attribution.csv --practices sample-data/practices.csv",
        subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load the attribution panel (and the practice list) into the warehouse.",
            discussion: """
                FILE has the columns patient_id,practice_id,provider_name,practice_patient_id; --practices names \
                a practice_id,practice_name file whose practices are inserted or renamed first. The panel is \
                authoritative for every practice and patient it names: a patient moved to another practice \
                leaves the old one. Rows naming a patient who is not active in the MPI snapshot (`lastmile mpi \
                import`) or an unknown practice are rejected and listed by line. One transaction; an unusable \
                file exits 65 and changes nothing.

                Example:  lastmile attribution import sample-data/attribution.csv --practices sample-data/practices.csv
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The attribution panel CSV.", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The practice list CSV (practice_id,practice_name).", valueName: "file"))
        var practices: String?

        func run() throws {
            let logger = global.makeLogger()
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let summary = try AttributionImport.run(
                file: file, practicesFile: practices, connection: connection, logger: logger)
            print(
                "attribution import \(summary.file): "
                    + summary.counts.map { "\($0.name) \($0.value)" }.joined(separator: ", "))
            printRejections(summary.rejections.map(\.description))
        }
    }
}
