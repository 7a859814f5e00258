import ArgumentParser
import Consent
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import Warehouse

/// `lastmile consent …`: the consent registry (import) and its decisions (explain).
struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Import consent directives and explain consent decisions.",
        discussion: "Example:  lastmile consent import sample-data/consent-directives.csv",
        subcommands: [Import.self, Explain.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import consent directives (CSV, FHIR R4 Consent JSON or NDJSON) into the registry.",
            discussion: """
                The format follows each file's extension (.csv, .json, .ndjson or .jsonl) unless --format names \
                it. Every file is read before anything is stored; the directives of all files are then stored in \
                one transaction, replacing earlier versions by directive id (re-importing changes nothing). \
                Rows or entries that cannot be used are listed by file, line or entry and field — never their \
                values. A file unusable as a whole (unreadable, missing CSV columns, not JSON, no usable \
                directive) exits 65 and nothing is stored.

                Example:  lastmile consent import sample-data/consent-directives.csv exports/consents.ndjson
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("Directive files.", valueName: "file"))
        var files: [String]

        @Option(help: "The format of every file: csv, fhir (Bundle or Consent JSON) or ndjson.")
        var format: Format?

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case csv, fhir, ndjson
        }

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one directive file") }
            if format == nil {
                for file in files where ConsentFileFormat(fileExtensionOf: file) == nil {
                    throw ValidationError(
                        "cannot tell the format of \(URL(fileURLWithPath: file).lastPathComponent) from its extension; pass --format"
                    )
                }
            }
        }

        func run() throws {
            let logger = global.makeLogger()
            let inputs = files.map { path in
                ConsentImport.Input(
                    path: path,
                    format: format.flatMap { ConsentFileFormat(rawValue: $0.rawValue) }
                        ?? ConsentFileFormat(fileExtensionOf: path)!)
            }
            // Parse first: a malformed file must not need (or start) the warehouse.
            let parsed = try ConsentImport.parse(inputs)
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let summary = try connection.withTransaction {
                try ConsentImport.store(parsed, connection: connection, logger: logger)
            }
            print(
                "consent import: files \(summary.files), directives read \(summary.directivesRead), stored "
                    + "\(summary.stored), unchanged \(summary.unchanged), ignored resources "
                    + "\(summary.ignoredResources), problems \(summary.problems.count), redirected "
                    + "\(summary.redirected) (naming a merged patient: they hold for the survivor)")
            printRejections(summary.problems.map(\.description), heading: "problems (skipped)")
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Explain which agreement, rule or directive decides for a patient, and why.",
            discussion: """
                Loads the patient's directives and birth date from the warehouse and evaluates the consent \
                policy as gate 2 (no --recipient) or delivery (--recipient practice:<id>, acting as pediatrics, \
                or role:<role>) would on --as-of (default today). Prints directive ids, agreements and rules; \
                never the birth date or other demographics.

                Example:  lastmile consent explain --patient P708682 --source riverside-usd --recipient practice:riverside-peds
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The HIE patient id.", valueName: "id"))
        var patient: String

        @Option(help: ArgumentHelp("Explain only this source (default: every agreement's source).", valueName: "name"))
        var source: String?

        @Option(
            help: ArgumentHelp(
                "practice:<id> (with role pediatrics) or role:<role>; none = the warehouse load.",
                valueName: "recipient"))
        var recipient: String?

        @Option(help: ArgumentHelp("A v3 PurposeOfUse code.", valueName: "code"))
        var purpose = "TREAT"

        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("The decision date (default today).", valueName: "YYYY-MM-DD"))
        var asOf: String?

        @Option(help: ArgumentHelp("The consent policy file.", valueName: "file"))
        var policy = "pipelines/consent-policy.yaml"

        func validate() throws {
            if let recipient, Recipient(token: recipient, practiceRoles: ["pediatrics"]) == nil {
                throw ValidationError("--recipient: expected practice:<id> or role:<role>")
            }
            if !PurposeOfUse.known.contains(purpose) {
                throw ValidationError("--purpose: expected a v3 PurposeOfUse code such as TREAT or PUBHLTH")
            }
            if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of: expected YYYY-MM-DD") }
        }

        func run() throws {
            let logger = global.makeLogger()
            let consentPolicy = try ConsentPolicy(contentsOfFile: policy)
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let lines = try ConsentExplain.lines(
                patientId: patient, source: source,
                recipient: recipient.flatMap { Recipient(token: $0, practiceRoles: ["pediatrics"]) },
                purpose: PurposeOfUse(rawValue: purpose),
                on: try asOf.flatMap { CivilDate(iso: $0) } ?? global.clock().today,
                policy: consentPolicy, connection: connection)
            print("patient \(patient)")
            for line in lines { print(line) }
        }
    }
}
