import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store

/// `lastmile disclosures --patient ID`: the accounting of disclosures for one patient.
struct Disclosures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every flag of one patient placed in a report or export (the accounting of disclosures).",
        discussion: """
            One line per disclosed flag, oldest first: when (UTC), recipient, purpose, the flag (kind, tier, \
            source, period start), the report it went into, that report's delivery status and the patient id it \
            was recorded under — which includes patients merged into this one, each marked with where the merge \
            took it (the accounting itself is never rewritten). Prints ids and \
            codes only, no names or demographics. With --since, only disclosures on or after that UTC day.

            Example:  lastmile disclosures --patient P708682 --since 2026-11-01
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The HIE patient id.", valueName: "id"))
    var patient: String

    @Option(name: .long, help: ArgumentHelp("Only disclosures on or after this day (UTC).", valueName: "date"))
    var since: String?

    func validate() throws {
        if let since, CivilDate(iso: since) == nil { throw ValidationError("--since: expected YYYY-MM-DD") }
    }

    func run() throws {
        let logger = global.makeLogger()
        let connection = try global.warehouse().connectMigrated(logger: logger)
        let entries = try DisclosureLog(connection: connection)
            .entries(patientId: patient, since: since.flatMap { CivilDate(iso: $0) })
        if entries.isEmpty {
            print("no disclosures recorded for this patient" + (since.map { " since \($0)" } ?? ""))
            return
        }
        print("disclosed_at\trecipient\tpurpose\tflag\treport\tdelivery\trecorded_under")
        for e in entries {
            let flag = [e.kind, e.tier.isEmpty ? nil : e.tier, e.source, e.periodStart.map { "from \($0)" }]
                .compactMap { $0 }.joined(separator: " ")
            // The id the disclosure was recorded under, and where a merge took it since.
            let recorded = e.patientId + (e.mergedInto.map { " (merged into \($0))" } ?? "")
            print(
                "\(e.disclosedAt)\t\(e.recipient)\t\(e.purpose)\t\(flag)\t\(e.report)\t\(e.deliveryStatus ?? "-")"
                    + "\t\(recorded)")
        }
        print("\(entries.count) disclosure(s)")
    }
}
