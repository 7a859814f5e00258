// The accounting of disclosures lists exactly what left the HIE, once: a list whose delivery failed and that is
// made again replaces its first attempt's disclosures, a practice's reader sees only delivered flags, and a
// list that cannot be written completely leaves nothing in the outbox.
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

@Suite(.serialized) struct DisclosureOnceTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let failing = DeliveryCommand(arguments: ["/bin/false"], timeoutSeconds: 10)
    let succeeding = DeliveryCommand(arguments: ["/bin/true"], timeoutSeconds: 10)

    /// Creates a reader login acting for `practice`, and drops it afterwards (roles are cluster-wide).
    func withReader<T>(for practice: String, _ db: Connection, url: String, _ body: (Connection) throws -> T) throws
        -> T
    {
        let name = "lm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try db.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN IN ROLE lastmile_report_reader")
        defer {
            _ = try? db.execute("DELETE FROM lastmile.practice_login WHERE login_role = $1", [name])
            _ = try? db.execute(unsafeSQL: "DROP OWNED BY \(name)")
            _ = try? db.execute(unsafeSQL: "DROP ROLE \(name)")
        }
        try db.execute(
            "INSERT INTO lastmile.practice_login (login_role, practice_id) VALUES ($1, $2)", [name, practice])
        return try body(try Connection(url + " user=\(name)"))
    }

    func readerPatients(_ reader: Connection) throws -> Set<String> {
        Set(try reader.execute("SELECT patient_id FROM lastmile.practice_flag").rows.compactMap { $0["patient_id"] })
    }

    @Test func aFailedListMadeAgainAfterAnOptOutDisclosesOnlyWhatWasDelivered() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let config = testConfig(outbox: dir.url, delivery: failing)
            let report = AbsenteeismReport(
                connection: db, config: config, gate: try testGate(), clock: reportClock, logger: quiet)
            let first = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
            #expect(try csvRows(first.files[0]).map { $0[4] }.contains("P900004"))
            _ = try OutboxDelivery(connection: db, command: failing, clock: reportClock, logger: quiet).deliver(
                reportNames: [first.reportName])
            #expect(try ReportLedger(connection: db).report(named: first.reportName)?.deliveryStatus == .failed)
            try withReader(for: "riverside-peds", db, url: url) { reader in
                // Nothing was delivered yet: the practice has seen nothing.
                let seen = try readerPatients(reader)
                #expect(seen.isEmpty)
            }

            // The patient opts out before the retry; the list is made again without them and delivered.
            let optOut = try directive(
                "D-4", patient: "P900004", type: "deny", recipient: "practice:riverside-peds", recorded: "2026-11-24")
            try ConsentStore(connection: db).save([optOut], format: "csv")
            let retry = try report.run(weekOf: week1, practices: ["riverside-peds"], on: day("2026-11-24"))[0]
            #expect(retry.reportId == first.reportId)
            let attempts = try OutboxDelivery(connection: db, command: succeeding, clock: reportClock, logger: quiet)
                .deliver(reportNames: [retry.reportName])
            #expect(attempts.map(\.delivered) == [true])

            let log = DisclosureLog(connection: db)
            #expect(try log.entries(patientId: "P900004").isEmpty)
            let listed = try csvRows(retry.files[0]).map { $0[4] }
            #expect(!listed.contains("P900004"))
            for patient in Set(listed) {
                let entries = try log.entries(patientId: patient)
                #expect(!entries.isEmpty)
                #expect(Set(entries.map(\.flagId)).count == entries.count, "one row per flag for \(patient)")
                #expect(entries.allSatisfy { $0.deliveryStatus == "delivered" })
            }
            let rows = try db.execute(
                "SELECT count(*) FROM lastmile.disclosure WHERE report_id = $1", [Int(retry.reportId ?? 0)]
            ).scalar
            #expect(rows == "\(retry.flags)")
            try withReader(for: "riverside-peds", db, url: url) { reader in
                let seen = try readerPatients(reader)
                #expect(seen == Set(listed))
            }
        }
    }

    @Test func aListWithoutDeliveryMadeTwiceRecordsEachFlagOnce() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: dir.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let first = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
            _ = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            let repeated = try db.execute(
                """
                SELECT count(*) FROM (SELECT flag_id FROM lastmile.disclosure WHERE report_id = $1
                                      GROUP BY flag_id HAVING count(*) > 1) AS twice
                """, [Int(first.reportId ?? 0)]
            ).scalar
            #expect(repeated == "0")
            #expect(
                try db.execute(
                    "SELECT count(*) FROM lastmile.disclosure WHERE report_id = $1", [Int(first.reportId ?? 0)]
                )
                .scalar == "\(first.flags)")
        }
    }

    @Test func aListThatCannotBeWrittenCompletelyLeavesNoFileAndNoDisclosure() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let week = dir.url.appendingPathComponent("riverside-peds/2026-11-23")
            // The HTML list's place is taken by a directory: its rename fails after the CSV was complete.
            try FileManager.default.createDirectory(
                at: week.appendingPathComponent("absenteeism-riverside-peds-2026-11-23.html"),
                withIntermediateDirectories: true)
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: dir.url, delivery: succeeding), gate: try testGate(),
                clock: reportClock, logger: quiet)
            #expect(throws: ReportError.self) {
                try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            }
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: week.path) == [
                    "absenteeism-riverside-peds-2026-11-23.html"
                ])
            #expect(try db.execute("SELECT count(*) FROM lastmile.report").scalar == "0")
            #expect(try db.execute("SELECT count(*) FROM lastmile.disclosure").scalar == "0")
        }
    }
}

extension DisclosureOnceTests {
    /// Every regular file under `directory`, relative to it.
    func files(under directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var info = stat()
            if lstat(directory.appendingPathComponent(path).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                found.append(path)
            }
        }
        return found
    }

    @Test func aFullDiskExits73AndLeavesNoFileInTheOutbox() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            try testPolicyYAML.write(
                to: dir.url.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
            try """
            pipeline: monday-absenteeism
            purpose: TREAT
            consent_policy: policy.yaml
            templates: \(repositoryRoot.appendingPathComponent("pipelines/templates").path)
            outbox: outbox
            delivery:
              command: ["/bin/true"]
            """.write(to: dir.url.appendingPathComponent("monday.yaml"), atomically: true, encoding: .utf8)
            // A file size limit of 1 kB stands in for a full disk: the HTML list cannot be written. SIGXFSZ is
            // reset to its default (the test runner may ignore it), as under cron.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "ulimit -f 2; exec /usr/bin/env --default-signal=XFSZ \"$0\" \"$@\"", LastMileBinary.url.path,
                "report", "absenteeism",
                "--database", url, "--pipeline", "monday.yaml", "--practice", "riverside-peds", "--week-of",
                "2026-11-23", "--as-of", "2026-11-23",
            ]
            process.currentDirectoryURL = dir.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 73)
            #expect(files(under: dir.url.appendingPathComponent("outbox")) == [])
            #expect(try db.execute("SELECT count(*) FROM lastmile.report").scalar == "0")
            #expect(try db.execute("SELECT count(*) FROM lastmile.disclosure").scalar == "0")
        }
    }
}

extension DisclosureOnceTests {
    /// Creates a loader login for the test, and drops it afterwards.
    func withLoader<T>(_ db: Connection, url: String, _ body: (Connection) throws -> T) throws -> T {
        let name = "lm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try db.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN IN ROLE lastmile_loader")
        defer {
            _ = try? db.execute(unsafeSQL: "DROP OWNED BY \(name)")
            _ = try? db.execute(unsafeSQL: "DROP ROLE \(name)")
        }
        return try body(try Connection(url + " user=\(name)"))
    }

    @Test func theLoaderRemakesAFailedListButCannotWithdrawADeliveredOne() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try loadWorld(url)
            // The disclosure log is append-only for the loader (issue 13 item 4): it withdraws only through the
            // owner's function.
            try owner.execute(unsafeSQL: "REVOKE UPDATE, DELETE ON lastmile.disclosure FROM lastmile_loader")
            let dir = try TemporaryDirectory()
            try withLoader(owner, url: url) { db in
                let config = testConfig(outbox: dir.url, delivery: failing)
                let report = AbsenteeismReport(
                    connection: db, config: config, gate: try testGate(), clock: reportClock, logger: quiet)
                let first = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
                _ = try OutboxDelivery(connection: db, command: failing, clock: reportClock, logger: quiet).deliver(
                    reportNames: [
                        first.reportName
                    ])
                let retry = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)[0]
                _ = try OutboxDelivery(connection: db, command: succeeding, clock: reportClock, logger: quiet)
                    .deliver(reportNames: [retry.reportName])
                let id = Int(retry.reportId ?? 0)
                let count = "SELECT count(*) FROM lastmile.disclosure WHERE report_id = $1"
                #expect(try db.execute(count, [id]).scalar == "\(retry.flags)")
                #expect(throws: WarehouseError.self) {
                    try db.execute("DELETE FROM lastmile.disclosure WHERE report_id = $1", [id])
                }
                // Delivered: the owner-run withdrawal refuses, and removes nothing.
                #expect(throws: WarehouseError.self) {
                    try db.execute("SELECT lastmile.forget_undelivered_disclosures($1)", [id])
                }
                #expect(try db.execute(count, [id]).scalar == "\(retry.flags)")
            }
        }
    }
}
