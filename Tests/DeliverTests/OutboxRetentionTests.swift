// The outbox retention: lists that are delivered (or picked up by hand) go after `outbox_retention_days`;
// undelivered ones stay for the next retry; the ledger keeps every row.
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct OutboxRetentionTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func listsPastRetentionAreDeletedUnlessUndelivered() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let dir = try TemporaryDirectory()
            let outbox = dir.url.appendingPathComponent("outbox")
            // riverside-peds: no delivery command (not-configured); lakeside-peds: a command never run (pending).
            var byHand = testConfig(outbox: outbox)
            byHand.outboxRetentionDays = 14
            var pending = testConfig(outbox: outbox, delivery: DeliveryCommand(arguments: ["/bin/false"]))
            pending.outboxRetentionDays = 14
            let kept = try AbsenteeismReport(
                connection: db, config: pending, gate: try testGate(), clock: reportClock, logger: quiet
            )
            .run(weekOf: week1, practices: ["lakeside-peds"], on: reportDay)
            let report = AbsenteeismReport(
                connection: db, config: byHand, gate: try testGate(), clock: reportClock, logger: quiet)
            let old = try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay)
            let oldFolder = old[0].files[0].deletingLastPathComponent()
            #expect(old[0].files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })

            // 14 days after the Monday: still kept.
            #expect(try report.pruneOutbox(on: week1.adding(days: 14)).isEmpty)
            #expect(old[0].files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })

            // A run on day 15 deletes the hand-picked list's files and folder before writing the new week.
            let new = try report.run(
                weekOf: week1.adding(days: 14), practices: ["riverside-peds"], on: week1.adding(days: 15))
            #expect(!FileManager.default.fileExists(atPath: oldFolder.path))
            #expect(new[0].files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
            #expect(kept[0].files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
            let ledger = ReportLedger(connection: db)
            #expect(try ledger.report(named: old[0].reportName) != nil)
            #expect(try ledger.report(named: kept[0].reportName)?.deliveryStatus == .pending)
            // Nothing left to prune; without a retention nothing is ever pruned.
            #expect(try report.pruneOutbox(on: week1.adding(days: 15)).isEmpty)
            var forever = byHand
            forever.outboxRetentionDays = nil
            #expect(
                try AbsenteeismReport(
                    connection: db, config: forever, gate: try testGate(), clock: reportClock, logger: quiet
                )
                .pruneOutbox(on: week1.adding(days: 400)).isEmpty)
            #expect(new[0].files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        }
    }

    @Test func theRetentionIsReadFromThePipelineFile() throws {
        let base = "outbox: o\nconsent_policy: p\n"
        let config = try DeliveryPipelineConfig(
            yaml: base + "outbox_retention_days: 30\n", file: "x.yaml", baseDirectory: repositoryRoot)
        #expect(config.outboxRetentionDays == 30)
        #expect(
            try DeliveryPipelineConfig(yaml: base, file: "x.yaml", baseDirectory: repositoryRoot).outboxRetentionDays
                == nil)
        for bad in ["0", "-3", "a month", "1.5"] {
            let error = try #require(throws: DeliveryPipelineError.self) {
                try DeliveryPipelineConfig(
                    yaml: base + "outbox_retention_days: \(bad)\n", file: "x.yaml", baseDirectory: repositoryRoot)
            }
            #expect(error.problems.map(\.keyPath) == ["outbox_retention_days"] && error.problems.first?.line == 3)
        }
        let shipped = try DeliveryPipelineConfig(
            contentsOf: repositoryRoot.appendingPathComponent("pipelines/monday-absenteeism.yaml"),
            baseDirectory: repositoryRoot.appendingPathComponent("pipelines"))
        #expect(shipped.outboxRetentionDays == 30)
    }

    @Test func theStaleLimitIsReadFromThePipelineFile() throws {
        let base = "outbox: o\nconsent_policy: p\n"
        #expect(
            try DeliveryPipelineConfig(
                yaml: base + "stale_after_days: 5\n", file: "x.yaml", baseDirectory: repositoryRoot
            )
            .staleAfterDays == 5)
        #expect(
            try DeliveryPipelineConfig(yaml: base, file: "x.yaml", baseDirectory: repositoryRoot).staleAfterDays
                == DeliveryPipelineConfig.defaultStaleAfterDays)
        for bad in ["-1", "a week", "400"] {
            let error = try #require(throws: DeliveryPipelineError.self) {
                try DeliveryPipelineConfig(
                    yaml: base + "stale_after_days: \(bad)\n", file: "x.yaml", baseDirectory: repositoryRoot)
            }
            #expect(error.problems.map(\.keyPath) == ["stale_after_days"] && error.problems.first?.line == 3)
        }
        let shipped = try DeliveryPipelineConfig(
            contentsOf: repositoryRoot.appendingPathComponent("pipelines/monday-absenteeism.yaml"),
            baseDirectory: repositoryRoot.appendingPathComponent("pipelines"))
        #expect(shipped.staleAfterDays == 10)
    }
}
