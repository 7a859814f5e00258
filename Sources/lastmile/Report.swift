import ArgumentParser
import Consent
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Reports
import Store

/// `lastmile report …`: the lists sent to practices.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write (and deliver) reports for practices.",
        discussion: "Example:  lastmile report absenteeism --all-practices",
        subcommands: [Absenteeism.self])

    struct Absenteeism: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write each practice's Monday chronic-absenteeism list, record its disclosures, deliver it.",
            discussion: """
                For each practice: its attributed patients with an active chronic-absenteeism flag whose consent \
                permits the pipeline's purpose (TREAT) for that practice, checked today against the directives in \
                the warehouse, with the other active flags the practice may see. Files go to \
                OUTBOX/PRACTICE/WEEK/ (files 0600, directories 0700); every flag on a list is recorded in \
                lastmile.disclosure with the report. Then the pipeline's delivery command runs for every list \
                not yet delivered; a failure is recorded and retried on the next run (exit 75), and a list \
                already delivered is never made or sent again.

                Example:  lastmile report absenteeism --week-of 2026-11-23 --all-practices --out outbox
                """)

        @OptionGroup var global: GlobalOptions

        @Option(
            name: .long, help: ArgumentHelp("Any day of the week to report (default: this week).", valueName: "date"))
        var weekOf: String?

        @Option(name: .long, help: ArgumentHelp("Only this practice (repeatable).", valueName: "id"))
        var practice: [String] = []

        @ArgumentParser.Flag(name: .long, help: "Every practice in the warehouse (overrides the pipeline's list).")
        var allPractices = false

        @Option(name: .long, help: ArgumentHelp("The outbox root (default: the pipeline's outbox).", valueName: "dir"))
        var out: String?

        @Option(name: .long, help: ArgumentHelp("The delivery pipeline file.", valueName: "file"))
        var pipeline = "pipelines/monday-absenteeism.yaml"

        @Option(name: .long, help: ArgumentHelp("The day consent is checked on (default: today).", valueName: "date"))
        var asOf: String?

        @ArgumentParser.Flag(name: .long, help: "Write and record the lists but do not run the delivery command.")
        var noDeliver = false

        @Option(
            name: .long,
            help: ArgumentHelp("Write a Prometheus textfile however the command ends.", valueName: "file"))
        var metricsFile: String?

        func validate() throws {
            if allPractices, !practice.isEmpty { throw ValidationError("give --practice or --all-practices, not both") }
            if let weekOf, CivilDate(iso: weekOf) == nil { throw ValidationError("--week-of: expected YYYY-MM-DD") }
            if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of: expected YYYY-MM-DD") }
        }

        /// The lists and their delivery; `run()` (in CommandMetrics.swift) adds the metrics file. Returns the
        /// lists' outcomes, with the freshness of the data each shows.
        func writeAndDeliver() throws -> [AbsenteeismReport.Outcome] {
            let logger = global.makeLogger()
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let pipelineURL = URL(fileURLWithPath: pipeline, relativeTo: cwd).standardizedFileURL
            var config = try DeliveryPipelineConfig(
                contentsOf: pipelineURL, baseDirectory: pipelineURL.deletingLastPathComponent())
            if let out { config.outbox = URL(fileURLWithPath: out, relativeTo: cwd).standardizedFileURL }
            let gate = try ConsentGate(policy: ConsentPolicy(contentsOfFile: config.consentPolicy.path))
            let clock = try global.clock()
            let today = asOf.flatMap { CivilDate(iso: $0) } ?? clock.today
            let week = weekOf.flatMap { CivilDate(iso: $0) } ?? today
            let connection = try global.warehouse().connectMigrated(logger: logger)
            return try AbsenteeismReport.exclusively(connection) {
                let report = AbsenteeismReport(
                    connection: connection, config: config, gate: gate, clock: clock, logger: logger)
                let outcomes = try report.run(
                    weekOf: week, practices: practice.isEmpty ? nil : practice, allPractices: allPractices, on: today)
                for o in outcomes {
                    switch o.action {
                    case .written:
                        print(
                            "\(o.practiceId) \(o.weekOf): \(o.patients) patient(s), \(o.flags) flag(s) -> \(o.files.map(\.path).joined(separator: " "))"
                        )
                    case .alreadyDelivered:
                        print("\(o.practiceId) \(o.weekOf): already delivered; not sent again")
                    }
                    for f in o.dataFreshness { print("\(o.practiceId) \(o.weekOf): \(f.statement)") }
                }
                for stale in Self.staleSources(outcomes) {
                    print("warning: \(stale.statement), older than stale_after_days (\(config.staleAfterDays))")
                }
                let practiceIds = Set(outcomes.map(\.practiceId))
                let stale = try ReportLedger(connection: connection).reports(kind: AbsenteeismReport.kind).filter {
                    $0.practiceId.map(practiceIds.contains) == true && ($0.weekOf ?? week) < week.mondayOfWeek
                        && ($0.deliveryStatus == .failed || $0.deliveryStatus == .pending)
                }
                if !stale.isEmpty {
                    print(
                        "\(stale.count) list(s) of earlier weeks were never delivered; this week's lists supersede them"
                    )
                }
                guard let command = config.delivery, !noDeliver else { return outcomes }
                let attempts = try OutboxDelivery(
                    connection: connection, command: command, clock: clock, logger: logger
                )
                .deliver(reportNames: outcomes.filter { $0.action == .written }.map(\.reportName))
                for a in attempts {
                    print(
                        "\(a.reportName): "
                            + (a.delivered ? "delivered" : "delivery failed (exit \(a.exitStatus)); will retry"))
                }
                let failed = attempts.filter { !$0.delivered }.count
                if failed > 0 { throw DeliveryFailed(failed: failed) }
                return outcomes
            }
        }

        /// The stale sources of the lists written, each once, by source name.
        static func staleSources(_ outcomes: [AbsenteeismReport.Outcome]) -> [SourceFreshness] {
            var bySource: [String: SourceFreshness] = [:]
            for o in outcomes { for s in o.staleSources { bySource[s.source] = s } }
            return bySource.values.sorted { $0.source < $1.source }
        }

        /// Every source shown on the lists written, each once, by source name.
        static func shownSources(_ outcomes: [AbsenteeismReport.Outcome]) -> [SourceFreshness] {
            var bySource: [String: SourceFreshness] = [:]
            for o in outcomes { for s in o.dataFreshness { bySource[s.source] = s } }
            return bySource.values.sorted { $0.source < $1.source }
        }
    }
}
