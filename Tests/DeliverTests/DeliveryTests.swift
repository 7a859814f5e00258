// The delivery command: run without a shell, its exit status recorded, a failure retried on the next run, a
// delivered report never sent again.
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct DeliveryTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func aFailedDeliveryIsRetriedOnTheNextRunAndOnlyMarkedDeliveredOnSuccess() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let script = try failingThenSucceedingScript(in: dir.url)
            let failMarker = dir.url.appendingPathComponent("fail")
            try Data().write(to: failMarker)
            let command = DeliveryCommand(
                arguments: ["/bin/sh", script.path, "{practice_id}", "{file}"], timeoutSeconds: 30)
            let config = testConfig(outbox: dir.url.appendingPathComponent("outbox"), delivery: command)
            let report = AbsenteeismReport(
                connection: db, config: config, gate: try testGate(), clock: reportClock, logger: quiet)
            let delivery = OutboxDelivery(connection: db, command: command, clock: reportClock, logger: quiet)
            let ledger = ReportLedger(connection: db)
            let calls = dir.url.appendingPathComponent("calls.log")

            // Monday, first run: the command fails.
            let first = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            #expect(try ledger.report(named: first[0].reportName)?.deliveryStatus == .pending)
            let failed = try delivery.deliver(reportNames: first.map(\.reportName))
            #expect(failed.map(\.exitStatus) == [3])
            var entry = try #require(try ledger.report(named: first[0].reportName))
            #expect(entry.deliveryStatus == .failed)
            #expect(entry.attempts == 1)
            #expect(entry.lastExitStatus == 3)
            #expect(try db.execute("SELECT delivered_at FROM lastmile.report").scalar == nil)
            #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("drop").path))

            // Next run: the same week is made again and the delivery retried; now it succeeds, once per file.
            try FileManager.default.removeItem(at: failMarker)
            let second = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            #expect(second[0].action == .written)
            #expect(try ledger.report(named: second[0].reportName)?.deliveryStatus == .failed)
            let delivered = try delivery.deliver(reportNames: second.map(\.reportName))
            #expect(delivered.map(\.exitStatus) == [0])
            entry = try #require(try ledger.report(named: first[0].reportName))
            #expect(entry.deliveryStatus == .delivered)
            #expect(entry.attempts == 2)
            #expect(entry.lastExitStatus == 0)
            let dropped = try FileManager.default.contentsOfDirectory(
                atPath: dir.url.appendingPathComponent("drop/riverside-peds").path)
            #expect(
                dropped.sorted() == [
                    "absenteeism-riverside-peds-2026-11-23.csv", "absenteeism-riverside-peds-2026-11-23.html",
                ])
            let callsBefore = try String(contentsOf: calls, encoding: .utf8)
            #expect(callsBefore.split(separator: "\n").count == 3)  // one failed run, then one per file

            // Re-running the same week neither rewrites nor re-sends the delivered list.
            let csv = second[0].files[0]
            let before = try Data(contentsOf: csv)
            let third = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            #expect(third[0].action == .alreadyDelivered)
            #expect(try delivery.deliver(reportNames: third.map(\.reportName)).isEmpty)
            #expect(try String(contentsOf: calls, encoding: .utf8) == callsBefore)
            #expect(try Data(contentsOf: csv) == before)
            #expect(try ledger.report(named: first[0].reportName)?.attempts == 2)
        }
    }

    @Test func aCommandThatHangsIsStoppedAndRecordedAsFailed() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let command = DeliveryCommand(arguments: ["/bin/sleep", "30"], timeoutSeconds: 1)
            let config = testConfig(outbox: dir.url, delivery: command)
            let report = AbsenteeismReport(
                connection: db, config: config, gate: try testGate(), clock: reportClock, logger: quiet)
            let outcomes = try report.run(weekOf: week1, practices: ["lakeside-peds"], on: reportDay)
            let attempts = try OutboxDelivery(connection: db, command: command, clock: reportClock, logger: quiet)
                .deliver(reportNames: outcomes.map(\.reportName))
            // SIGTERM, or SIGKILL when the child inherited an ignored SIGTERM (as under some test runners).
            #expect(attempts.count == 1 && [128 + SIGTERM, 128 + SIGKILL].contains(attempts[0].exitStatus))
            #expect(try ReportLedger(connection: db).report(named: outcomes[0].reportName)?.deliveryStatus == .failed)

            let missing = DeliveryCommand(arguments: ["/nonexistent/direct-send", "{file}"])
            let notStarted = try OutboxDelivery(connection: db, command: missing, clock: reportClock, logger: quiet)
                .deliver(reportNames: outcomes.map(\.reportName))
            #expect(notStarted.map(\.exitStatus) == [OutboxDelivery.cannotStart])
            #expect(try ReportLedger(connection: db).report(named: outcomes[0].reportName)?.attempts == 2)
        }
    }

    @Test func argumentsAreSubstitutedNotInterpreted() throws {
        let entry = ReportLedger.Entry(
            reportId: 1, kind: "absenteeism", name: "absenteeism-riverside-peds-2026-11-23",
            practiceId: "riverside-peds",
            weekOf: week1, directory: URL(fileURLWithPath: "/outbox/riverside-peds/2026-11-23", isDirectory: true),
            fileNames: ["a.csv", "a.html"], sha256: "", patients: 0, flags: 0, deliveryStatus: .pending, attempts: 0,
            lastExitStatus: nil)
        func argv(_ arguments: [String]) -> [[String]] { DeliveryCommand(arguments: arguments).arguments(for: entry) }
        #expect(
            argv(["/bin/send", "--to", "{practice_id}", "{file}"]) == [
                ["/bin/send", "--to", "riverside-peds", "/outbox/riverside-peds/2026-11-23/a.csv"],
                ["/bin/send", "--to", "riverside-peds", "/outbox/riverside-peds/2026-11-23/a.html"],
            ])
        #expect(
            argv(["/bin/send", "--subject=$(rm -rf ~) {week}", "{files}"]) == [
                [
                    "/bin/send", "--subject=$(rm -rf ~) 2026-11-23", "/outbox/riverside-peds/2026-11-23/a.csv",
                    "/outbox/riverside-peds/2026-11-23/a.html",
                ]
            ])
    }
}
