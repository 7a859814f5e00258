// The Monday list end to end against a real PostgreSQL: who is on it, in which order, what changed, and that
// consent is re-checked at report time. Column indices follow docs/reports.md's CSV columns.
import Consent
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Reports
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct AbsenteeismReportTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func sampleListForRiversideIsConsentedSortedAndPrivate() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let outcomes = try report.run(weekOf: day("2026-11-25"), practices: ["riverside-peds"], on: reportDay)
            let outcome = try #require(outcomes.first)
            #expect(outcomes.count == 1)
            #expect(outcome.weekOf == week1)
            #expect(
                outcome.files.map(\.lastPathComponent) == [
                    "absenteeism-riverside-peds-2026-11-23.csv", "absenteeism-riverside-peds-2026-11-23.html",
                ])
            let rows = try csvRows(outcome.files[0])
            // Severe first; moderate by rate; at risk last. P900003 is lakeside's; P900006's flag is closed.
            #expect(rows.map { $0[4] } == ["P900001", "P900004", "P900005", "P900002", "P900007"])
            #expect(
                rows[0] == [
                    "Quillfeather, Zephyrine", "2015-03-02", "11", "RS-1001", "P900001", "Riverside Elementary", "04",
                    "15",
                    "60", "25.0%", "Severe", "worse", "2026-11-19", "Sheltered homelessness", "RHS-01", "", "0", "0",
                    "0", "0 0 0 0 0 0 0 0", "", "2026-11-20 (riverside-usd)", "—",
                ])
            #expect(
                outcome.dataFreshness.map(\.statement) == ["attendance data through 2026-11-20 (source riverside-usd)"])
            #expect(outcome.staleSources.isEmpty)
            #expect(rows.map { $0[11] } == ["worse", "unchanged", "better", "new", "worse"])
            #expect(rows.map { $0[10] } == ["Severe", "Moderate", "Moderate", "Moderate", "At risk (not chronic)"])
            // The release flag's agreement does not cover pediatrics; P900007 denied housing data.
            #expect(rows[2][13] == "")
            #expect(rows[4][13] == "")
            #expect(rows[1][3] == "")  // no practice patient id known

            let html = try String(contentsOf: outcome.files[1], encoding: .utf8)
            #expect(html.contains("Riverside Pediatrics"))
            #expect(html.contains("Quillfeather"))
            #expect(!html.contains("Vellacott"))

            for file in outcome.files { #expect(try mode(file) == 0o600) }
            #expect(try mode(outcome.files[0].deletingLastPathComponent()) == 0o700)
            #expect(try mode(out.url.appendingPathComponent("riverside-peds")) == 0o700)

            let recorded = try #require(try ReportLedger(connection: db).report(named: outcome.reportName))
            #expect(recorded.patients == 5)
            #expect(recorded.flags == 6)
            #expect(recorded.deliveryStatus == .notConfigured)
            #expect(recorded.sha256.count == 64)
        }
    }

    @Test func aPatientOfAnotherPracticeNeverAppears() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let outcomes = try report.run(weekOf: week1, on: reportDay)
            #expect(outcomes.map(\.practiceId) == ["lakeside-peds", "riverside-peds"])
            let lakeside = try csvRows(outcomes[0].files[0])
            #expect(lakeside.map { $0[4] } == ["P900003"])
            let riverside =
                try String(contentsOf: outcomes[1].files[0], encoding: .utf8)
                + String(contentsOf: outcomes[1].files[1], encoding: .utf8)
            #expect(!riverside.contains("P900003"))
            #expect(!riverside.contains("Vellacott"))
            let lakesideText = try String(contentsOf: outcomes[0].files[0], encoding: .utf8)
            for p in patients where p.practice == "riverside-peds" {
                #expect(!lakesideText.contains(p.id))
                #expect(!lakesideText.contains(p.family))
            }
        }
    }

    @Test func aPracticeWithNobodyGetsTheShortList() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            try db.execute("INSERT INTO lastmile.practice (practice_id, name) VALUES ('hilltop-peds', 'Hilltop Peds')")
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let outcome = try #require(try report.run(weekOf: week1, practices: ["hilltop-peds"], on: reportDay).first)
            #expect(outcome.patients == 0)
            #expect(try csvRows(outcome.files[0]).first?.first == "No patients this week")
            #expect(try String(contentsOf: outcome.files[1], encoding: .utf8).contains("No patients this week."))
            #expect(throws: AbsenteeismReport.UnknownPractice.self) {
                try report.run(weekOf: week1, practices: ["no-such-peds"], on: reportDay)
            }
        }
    }

    @Test func anOptOutRecordedAfterTheLoadRemovesThePatientFromTheNextList() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let first = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
            #expect(try csvRows(first.files[0]).map { $0[4] }.contains("P900004"))

            // Recorded over the weekend; no nightly reload happens before the next list.
            try ConsentStore(connection: db).save(
                [
                    try directive(
                        "D-4", patient: "P900004", type: "deny", recipient: "practice:riverside-peds",
                        recorded: "2026-11-28")
                ],
                format: "csv")
            let week2 = week1.adding(days: 7)
            // The next Monday's lists are made on that Monday, by that Monday's clock.
            let nextMonday = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(),
                clock: .fixed(on: week2, hour: 9), logger: quiet)
            let next = try nextMonday.run(weekOf: week2, practices: ["riverside-peds"], on: week2)[0]
            let rows = try csvRows(next.files[0])
            #expect(rows.map { $0[4] } == ["P900001", "P900005", "P900002", "P900007"])
            // On last week's list, so P900002 is no longer new: its rate went up.
            #expect(rows.first { $0[4] == "P900002" }?[11] == "worse")
            let log = DisclosureLog(connection: db)
            #expect(try log.entries(patientId: "P900004", since: week2).isEmpty)
            // …while the patients still on the list were disclosed again that Monday.
            #expect(try !log.entries(patientId: "P900001", since: week2).isEmpty)
            #expect(try log.entries(patientId: "P900004").count == 1)
            #expect(try log.entries(patientId: "P900004").allSatisfy { $0.report != next.reportName })

            // The opt-out also stops the undelivered list of the same week when it is made again.
            let again = try nextMonday.run(weekOf: week1, practices: ["riverside-peds"], on: week2)[0]
            #expect(try !csvRows(again.files[0]).map { $0[4] }.contains("P900004"))
            #expect(again.reportId == first.reportId)
        }
    }

    @Test func listsRecordEveryDisclosedFlagWithTheReport() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let outcome = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
            let log = DisclosureLog(connection: db)
            let first = try log.entries(patientId: "P900001")
            #expect(first.map(\.kind).sorted() == ["chronic-absenteeism", "sheltered-homelessness"])
            #expect(first.allSatisfy { $0.recipient == "practice:riverside-peds" && $0.purpose == "TREAT" })
            #expect(first.allSatisfy { $0.report == outcome.reportName && $0.deliveryStatus == "not-configured" })
            // Withheld flags are not disclosures.
            #expect(try log.entries(patientId: "P900005").map(\.kind) == ["chronic-absenteeism"])
            #expect(try log.entries(patientId: "P900007").map(\.kind) == ["chronic-absenteeism"])
            #expect(try log.entries(patientId: "P900003").isEmpty)
            #expect(try log.entries(patientId: "P900006").isEmpty)
            #expect(try log.entries(patientId: "P900001", since: day("2099-01-01")).isEmpty)
            let total = try db.execute(
                "SELECT count(*) FROM lastmile.disclosure d JOIN lastmile.report r USING (report_id) WHERE r.name = $1",
                [outcome.reportName]
            ).scalar
            #expect(total == "6")
        }
    }

    @Test func aListMadeThirtyDaysAfterTheNewestDataWarnsOnTheListAndInTheLog() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let capture = LogCapture()
            let madeOn = day("2026-12-20")  // 30 days after the district's newest attendance date
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: try testGate(),
                clock: .fixed(on: madeOn, hour: 9), logger: capture.logger())
            let outcome = try #require(try report.run(weekOf: madeOn, practices: ["riverside-peds"], on: madeOn).first)
            #expect(outcome.weekOf == day("2026-12-14"), "the reporting week, not the data's")
            #expect(outcome.staleSources.map(\.source) == ["riverside-usd"])
            #expect(outcome.staleSources.first?.daysOld == 30)
            let rows = try csvRows(outcome.files[0])
            #expect(rows[0][0].hasPrefix("Warning: attendance data from riverside-usd ends 2026-11-20 (30 days"))
            #expect(rows[1][4] == "P900001")
            let html = try String(contentsOf: outcome.files[1], encoding: .utf8)
            #expect(html.contains("role=\"alert\""))
            #expect(html.contains("Reporting week of 14 December 2026"))
            #expect(html.contains("Attendance data through 20 November 2026 (source riverside-usd)"))
            let warning = capture.lines.filter { $0.contains("stale attendance data") }
            #expect(warning.count == 1)
            #expect(warning.first?.contains("riverside-usd") == true)
        }
    }

    @Test func noPersonalDataInAnyLogLine() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let out = try TemporaryDirectory()
            let capture = LogCapture()
            let script = try failingThenSucceedingScript(in: out.url)
            let config = testConfig(
                outbox: out.url.appendingPathComponent("outbox"),
                delivery: DeliveryCommand(
                    arguments: ["/bin/sh", script.path, "{practice_id}", "{file}"], timeoutSeconds: 30))
            let report = AbsenteeismReport(
                connection: db, config: config, gate: try testGate(), clock: reportClock, logger: capture.logger())
            let outcomes = try report.run(weekOf: week1, on: reportDay)
            _ = try OutboxDelivery(
                connection: db, command: config.delivery!, clock: reportClock, logger: capture.logger()
            )
            .deliver(reportNames: outcomes.map(\.reportName))
            _ = try FHIRFlagExport(connection: db, gate: try testGate(), clock: reportClock, logger: capture.logger())
                .run(
                    since: day("2026-01-01"), recipient: .pediatricPractice("riverside-peds"),
                    recipientToken: "practice:riverside-peds", purpose: .treatment,
                    to: out.url.appendingPathComponent("fhir"), on: reportDay)
            let lines = capture.lines
            #expect(lines.count >= 5)
            for p in patients {
                for secret in [p.given, p.family, p.birth, p.id] + (p.practicePatientId.map { [$0] } ?? []) {
                    #expect(!lines.contains { $0.contains(secret) }, "log line contains personal data")
                }
            }
        }
    }
}

func mode(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// A delivery script that fails (exit 3) while `fail` exists beside it, else copies its file to `drop/`, and
/// appends one line per call to `calls.log` (with the warehouse URL, should the program ever be given it).
func failingThenSucceedingScript(in directory: URL) throws -> URL {
    let script = directory.appendingPathComponent("deliver.sh")
    try """
    #!/bin/sh
    here=$(dirname "$0")
    echo "$1 ${LASTMILE_DATABASE_URL:-no-credentials}" >> "$here/calls.log"
    if [ -e "$here/fail" ]; then exit 3; fi
    mkdir -p "$here/drop/$1" && cp "$2" "$here/drop/$1/"
    """.write(to: script, atomically: true, encoding: .utf8)
    return script
}
