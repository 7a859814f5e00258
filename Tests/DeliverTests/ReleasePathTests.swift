// A report added with only a query and a renderer: a housing-instability list for one practice, released
// through the one release path, which re-checks consent, writes the files 0600 (all or none), records the
// report and its disclosures together, and hands the report to the delivery command.
import Consent
import Delivery
import Foundation
import LastMileCore
import Logging
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct ReleasePathTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The whole new report: the practice's active housing-instability flags (query) as a two-column CSV
    /// (renderer). Everything else is configuration.
    func housingList(outbox: URL, delivery: DeliveryCommand? = nil) -> Release {
        Release(
            kind: "housing-list", name: "housing-list-riverside-peds-2026-11-23",
            audience: ReleaseAudience(
                recipient: .pediatricPractice("riverside-peds"), token: "practice:riverside-peds", purpose: .treatment),
            weekOf: week1, root: outbox, folders: [("practice id", "riverside-peds")], delivery: delivery,
            query: { try $0.activeFlags(attributedTo: "riverside-peds", kinds: [.housingInstability]) },
            render: { permitted in
                let lines = permitted.byPatient.map { "\($0.patient.patientId),\($0.flags.count)\n" }
                return RenderedRelease(
                    files: [(name: "housing.csv", data: Data(("patient_id,flags\n" + lines.joined()).utf8))],
                    disclosed: permitted.flags, patients: lines.count)
            })
    }

    /// The test world plus a housing flag consent permits (P900002); P900007's is denied by a directive. The
    /// new kind needs no migration (migration 7 checks a kind's form, not a list).
    func world(_ url: String) throws -> Connection {
        let db = try loadWorld(url)
        try insertFlag(db, "P900002", .housingInstability, source: "ce-by-name-list", evidence: ["basis": "list"])
        return db
    }

    func path(_ db: Connection) throws -> ReleasePath {
        ReleasePath(connection: db, gate: try testGate(), clock: reportClock, logger: quiet)
    }

    @Test func aQueryAndARendererMakeAConsentedRecordedPrivateReport() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try world(url)
            let out = try TemporaryDirectory()
            let outcome = try path(db).release(housingList(outbox: out.url), on: reportDay)

            #expect(outcome.action == .written)
            #expect(outcome.withheld == 1)
            let file = try #require(outcome.files.first)
            #expect(try String(contentsOf: file, encoding: .utf8) == "patient_id,flags\nP900002,1\n")
            #expect(try mode(file) == 0o600)
            #expect(try mode(file.deletingLastPathComponent()) == 0o700)

            let report = try #require(
                try db.execute(
                    """
                    SELECT report_id, recipient, purpose, patients, flags, sha256, delivery_status,
                           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS created_at
                    FROM lastmile.report WHERE name = 'housing-list-riverside-peds-2026-11-23'
                    """
                ).rows.first)
            #expect(report["report_id"] == String(outcome.reportId))
            #expect(report["recipient"] == "practice:riverside-peds")
            #expect(report["purpose"] == "TREAT")
            #expect(report["patients"] == "1")
            #expect(report["flags"] == "1")
            #expect(report["delivery_status"] == "not-configured")
            #expect(report["created_at"] == "2026-11-23T09:00:00")
            // PostgreSQL's own SHA-256 of the bytes agrees with the one computed in Swift.
            let expected = try db.execute(
                "SELECT encode(sha256(decode($1, 'base64')), 'hex')", [try Data(contentsOf: file).base64EncodedString()]
            ).scalar
            #expect(report["sha256"] == expected)

            let disclosures = try disclosureRows(db, reportId: outcome.reportId)
            #expect(disclosures.map { $0["patient_id"] } == ["P900002"])
            #expect(disclosures.first?["recipient"] == "practice:riverside-peds")
            #expect(disclosures.first?["purpose"] == "TREAT")
            #expect(disclosures.first?["disclosed_at"] == "2026-11-23T09:00:00")

            // Made again (no delivery command): the same report, its disclosure not recorded twice.
            let again = try path(db).release(housingList(outbox: out.url), on: reportDay)
            #expect(again.reportId == outcome.reportId)
            #expect(try disclosureRows(db, reportId: outcome.reportId).count == 1)
        }
    }

    @Test func aRendererCannotDiscloseAFlagConsentWithheld() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try world(url)
            let out = try TemporaryDirectory()
            var release = housingList(outbox: out.url)
            let everything = release.query
            // A faulty renderer that discloses every candidate, whatever consent said.
            release.render = { _ in
                let all = try everything(ReleaseQueries(connection: db))
                return RenderedRelease(
                    files: [(name: "housing.csv", data: Data("x\n".utf8))], disclosed: all.flags, patients: 2)
            }
            #expect(throws: UnpermittedDisclosure.self) { try path(db).release(release, on: reportDay) }
            #expect(try db.execute("SELECT count(*) FROM lastmile.report").scalar == "0")
            #expect(try db.execute("SELECT count(*) FROM lastmile.disclosure").scalar == "0")
            #expect(!FileManager.default.fileExists(atPath: out.url.appendingPathComponent("riverside-peds").path))
        }
    }

    @Test func aDeliveredReportIsNeverMadeOrSentAgain() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try world(url)
            let out = try TemporaryDirectory()
            let release = housingList(outbox: out.url, delivery: DeliveryCommand(arguments: ["/bin/true", "{file}"]))
            let first = try path(db).release(release, on: reportDay, deliver: true)
            #expect(first.attempts.map(\.delivered) == [true])
            #expect(try ReportLedger(connection: db).report(named: release.name)?.deliveryStatus == .delivered)

            let second = try path(db).release(release, on: reportDay, deliver: true)
            #expect(second.action == .alreadyDelivered)
            #expect(second.attempts.isEmpty)
            #expect(try disclosureRows(db, reportId: first.reportId).count == 1)
        }
    }

    func disclosureRows(_ db: Connection, reportId: Int64) throws -> [QueryResult.Row] {
        try db.execute(
            """
            SELECT patient_id, recipient, purpose,
                   to_char(disclosed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS disclosed_at
            FROM lastmile.disclosure WHERE report_id = $1 ORDER BY disclosure_id
            """, [Int(reportId)]
        ).rows
    }
}
