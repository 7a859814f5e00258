import ArgumentParser
import Consent
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store

/// `lastmile export …`: flags for other systems.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export flags for other systems.",
        discussion:
            "Example:  lastmile export fhir --since 2026-11-01 --out export/ --recipient practice:riverside-peds",
        subcommands: [FHIR.self])

    struct FHIR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fhir",
            abstract: "Write FHIR R4 Flag.ndjson and Patient.ndjson (Bulk Data layout) for one recipient.",
            discussion: """
                Exports the flags a run on or after --since wrote (or whose period starts or ends then), for one \
                recipient and purpose: consent is re-checked today for each flag, and only permitted flags and \
                their patients are written (files 0600, directory 0700). Every exported flag is recorded in \
                lastmile.disclosure. A practice recipient acts in --role (default pediatrics).

                Example:  lastmile export fhir --since 2026-11-01 --out export/riverside --recipient practice:riverside-peds --purpose TREAT
                """)

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Flags written on or after this day (UTC).", valueName: "date"))
        var since: String

        @Option(name: .long, help: ArgumentHelp("The directory for Flag.ndjson and Patient.ndjson.", valueName: "dir"))
        var out: String

        @Option(
            name: .long,
            help: ArgumentHelp("Who receives the export: practice:<id> or role:<role>.", valueName: "recipient"))
        var recipient: String

        @Option(
            name: .long, help: ArgumentHelp("The roles a practice recipient acts in (repeatable).", valueName: "role"))
        var role: [String] = ["pediatrics"]

        @Option(name: .long, help: ArgumentHelp("The v3 PurposeOfUse of the export.", valueName: "code"))
        var purpose = "TREAT"

        @Option(
            name: .long,
            help: ArgumentHelp("Write a Prometheus textfile however the command ends.", valueName: "file"))
        var metricsFile: String?

        @Option(name: .long, help: ArgumentHelp("The consent policy file.", valueName: "file"))
        var consentPolicy = "pipelines/consent-policy.yaml"

        @Option(name: .long, help: ArgumentHelp("The day consent is checked on (default: today).", valueName: "date"))
        var asOf: String?

        func validate() throws {
            if CivilDate(iso: since) == nil { throw ValidationError("--since: expected YYYY-MM-DD") }
            if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of: expected YYYY-MM-DD") }
            if Recipient(token: recipient) == nil {
                throw ValidationError("--recipient: expected practice:<id> or role:<role>")
            }
            if !PurposeOfUse.known.contains(purpose) {
                throw ValidationError("--purpose: expected a v3 PurposeOfUse code such as TREAT")
            }
        }

        /// The export itself; `run()` (in CommandMetrics.swift) adds the metrics file.
        func export() throws -> FHIRFlagExport.Outcome {
            let logger = global.makeLogger()
            guard let to = Recipient(token: recipient, practiceRoles: Set(role)), let from = CivilDate(iso: since)
            else {
                throw ValidationError("--recipient: expected practice:<id> or role:<role>")
            }
            let gate = try ConsentGate(policy: ConsentPolicy(contentsOfFile: consentPolicy))
            let connection = try global.warehouse().connectMigrated(logger: logger)
            let clock = try global.clock()
            let export = FHIRFlagExport(connection: connection, gate: gate, clock: clock, logger: logger)
            let outcome = try export.run(
                since: from, recipient: to, recipientToken: recipient, purpose: PurposeOfUse(rawValue: purpose),
                to: URL(fileURLWithPath: out), on: asOf.flatMap { CivilDate(iso: $0) } ?? clock.today)
            print(
                "\(outcome.flags) flag(s) of \(outcome.patients) patient(s) exported; \(outcome.withheld) withheld by consent"
            )
            for file in outcome.files { print(file.path) }
            return outcome
        }
    }
}
