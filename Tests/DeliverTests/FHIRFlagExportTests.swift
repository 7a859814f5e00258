// The FHIR export from the warehouse: only flags consent permits for the recipient and purpose, a Patient for
// every Flag subject, required R4 Flag elements present, and each exported flag in the disclosure log.
import Consent
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct FHIRFlagExportTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func exportContainsOnlyConsentedFlagsOfTheRecipientsPatients() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            try ConsentStore(connection: db).save(
                [try directive("D-4", patient: "P900004", type: "deny", recorded: "2026-11-21")], format: "csv")
            let dir = try TemporaryDirectory()
            let out = dir.url.appendingPathComponent("bulk")
            let export = FHIRFlagExport(connection: db, gate: try testGate(), clock: reportClock, logger: quiet)
            let outcome = try export.run(
                since: day("2026-11-01"), recipient: .pediatricPractice("riverside-peds"),
                recipientToken: "practice:riverside-peds", purpose: .treatment, to: out, on: reportDay)
            #expect(outcome.files.map(\.lastPathComponent).prefix(2) == ["Flag.ndjson", "Patient.ndjson"])

            let flags = try lines(outcome.files[0])
            let subjects = flags.map { (($0["subject"] as? [String: Any])?["reference"] as? String) ?? "" }
            // P900001 absenteeism + shelter, P900002, P900005, P900006 (closed), P900007; P900004 opted out,
            // P900003 is lakeside's; P900005's release and P900007's housing flags are withheld.
            #expect(
                subjects == [
                    "Patient/P900001", "Patient/P900001", "Patient/P900002", "Patient/P900005", "Patient/P900006",
                    "Patient/P900007",
                ])
            #expect(outcome.withheld == 3)
            let kinds = flags.compactMap {
                (($0["meta"] as? [String: Any])?["tag"] as? [[String: Any]])?.first?["code"] as? String
            }
            #expect(!kinds.contains("county-jail"))
            #expect(!kinds.contains("ce-by-name-list"))
            for flag in flags {
                #expect(flag["resourceType"] as? String == "Flag")
                #expect(["active", "inactive"].contains(flag["status"] as? String ?? ""))
                #expect(((flag["code"] as? [String: Any])?["coding"] as? [Any])?.isEmpty == false)
            }
            let patientsOut = try lines(outcome.files[1])
            #expect(
                patientsOut.compactMap { $0["id"] as? String } == [
                    "P900001", "P900002", "P900005", "P900006", "P900007",
                ])
            let text = try String(contentsOf: outcome.files[1], encoding: .utf8)
            #expect(!text.contains("Harrowgate"))
            #expect(!text.contains("Vellacott"))
            for file in outcome.files { #expect(try mode(file) == 0o600) }
            #expect(try mode(out) == 0o700)

            let log = DisclosureLog(connection: db)
            #expect(try log.entries(patientId: "P900001").map(\.report) == [outcome.reportName, outcome.reportName])
            #expect(try log.entries(patientId: "P900005").map(\.kind) == ["chronic-absenteeism"])
            #expect(try log.entries(patientId: "P900004").isEmpty)
            let recorded = try #require(try ReportLedger(connection: db).report(named: outcome.reportName))
            #expect(recorded.flags == 6)
            #expect(recorded.patients == 5)
        }
    }

    @Test func aPurposeTheAgreementsDoNotCoverExportsNothing() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let outcome = try FHIRFlagExport(connection: db, gate: try testGate(), clock: reportClock, logger: quiet)
                .run(
                    since: day("2026-11-01"), recipient: Recipient(roles: ["care-coordination"]),
                    recipientToken: "role:care-coordination", purpose: .research, to: dir.url, on: reportDay)
            #expect(outcome.flags == 0)
            #expect(try String(contentsOf: outcome.files[0], encoding: .utf8).isEmpty)
            #expect(try db.execute("SELECT count(*) FROM lastmile.disclosure").scalar == "0")
        }
    }
}
