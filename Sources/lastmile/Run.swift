import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import Warehouse

/// `lastmile run PIPELINE`: the nightly job.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline: extract → consent gate → match → consent gate → load → flags, in one transaction.",
        discussion: """
            Every input not loaded before (by source and sha256) is extracted; bad rows are quarantined (the \
            warehouse keeps file, line and reason; the raw row goes only to a 0600 rejects file); records pass \
            the source agreement (gate 1), are matched to patients, pass the patient's consent (gate 2), and \
            are loaded; flags are then derived from every stored event. All of it commits at once or not at \
            all, except that a source with an unusable input (empty, no header, a required column missing) is \
            left out: the others commit, its files are retried by the next run, and the run exits 79; so is a \
            source without a new file for more than its max_feed_age_days. --reprocess FILE loads an input \
            again after a mapping fix (see `lastmile files`). A second run waits for the lock (lock_wait_seconds) or exits 75. The summary accounts for every row read.

            Example:  lastmile run pipelines/nightly.yaml --as-of 2026-11-20 --metrics-file /var/lib/prometheus/node-exporter/lastmile.prom
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The pipeline file, e.g. pipelines/nightly.yaml.") var pipeline: String

    @Option(help: "The date the run is for (YYYY-MM-DD); default: today.") var asOf: String?

    @ArgumentParser.Flag(help: "Do everything, then roll back: nothing is committed.") var dryRun = false

    @Option(name: .customLong("source"), help: "Run only this source (repeatable).") var sources: [String] = []

    @Option(help: "Write a Prometheus textfile (node_exporter textfile collector) when the run ends, however it ends.")
    var metricsFile: String?

    @Option(
        name: .customLong("reprocess"), parsing: .singleValue,
        help: ArgumentHelp(
            "Load this input again although it was loaded, replacing what it produced (repeatable).",
            valueName: "file"))
    var reprocess: [String] = []

    @Option(help: "The summary on standard output: text, or json (one object, counts as numbers).")
    var summaryFormat: SummaryFormat = .text

    enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of takes a date as YYYY-MM-DD") }
    }

    /// The run itself; `run()` (in CommandMetrics.swift) adds the metrics file on every exit path.
    func runPipeline() throws {
        let logger = global.makeLogger()
        let config = try PipelineConfig.load(path: pipeline)
        let known = Set(config.sources.map(\.name))
        for s in sources where !known.contains(s) {
            throw UnknownSource(name: s, place: pipeline, known: known.sorted())
        }
        let clock = try global.clock()
        var options = RunOptions(asOf: asOf.flatMap { CivilDate(iso: $0) } ?? clock.today, clock: clock)
        options.dryRun = dryRun
        options.onlySources = sources.isEmpty ? nil : Set(sources)
        options.metricsFile = metricsFile
        options.reprocess = reprocess
        // Every running source's agreement must be in the policy and in force: refuse (78) before connecting.
        _ = try config.consentGate(on: options.asOf, sources: options.onlySources)
        options.showProgress = global.logFormat == .text && isatty(2) == 1
        let warehouse = global.warehouse(pipelineWarehouse: config.warehouse)
        options.matchIndexDirectory = warehouse.localStateDirectory?.appendingPathComponent("match-index")
        let connection = try warehouse.connectMigrated(logger: logger)
        let summary = try NightlyRun(config: config, options: options, logger: logger).run(connection: connection)
        switch summaryFormat {
        // Refused inputs and failed sources name files from the inbox: control characters become escapes.
        case .text:
            print(
                summary.rendered().split(separator: "\n", omittingEmptySubsequences: false).map {
                    terminalSafe(String($0))
                }.joined(separator: "\n"))
            if let hint = rejectedRowsHint(summary, config) { print(terminalSafe(hint)) }
        case .json: print(try summary.json())
        }
        // A partial night committed; the metrics file (written by the run) already says so: exit 79.
        if !summary.failedSources.isEmpty { throw SourcesFailed(sources: summary.failedSources) }
        if !summary.refusedInputs.isEmpty { throw InputsRefused(inputs: summary.refusedInputs) }
    }
}

/// Where a committed run's rejected rows are: the command that lists them by line and the raw rows' file; nil
/// when the run rejected nothing (or wrote no rejects file).
func rejectedRowsHint(_ summary: RunSummary, _ config: PipelineConfig) -> String? {
    guard let runId = summary.runId,
        let source = summary.sources.first(where: { SourceRunCounts.sum($0.rejected) > 0 })?.source
    else { return nil }
    let path = config.rejectsFile(runId: runId)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return "\nrejected rows: `lastmile extract --source \(source) FILE --all` lists them by line, column and reason; "
        + "their raw rows (mode 0600) are in \(path)"
}

/// `lastmile runs`: the run ledger.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recent runs from the ledger: status, as-of date, duration, inputs and counts.",
        discussion: """
            With --html FILE, writes instead a self-contained page (mode 0600) of the last --nights nights: per \
            source the rows read, rejections by reason, matched / review / unmatched shares and the review \
            backlog, and the flags created and closed, as small charts each followed by a table of its figures. \
            A source that went quiet, failed or rejected many rows is listed at the top.

            Example:  lastmile runs --last 5
            Example:  lastmile runs --html nights.html --nights 7
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many runs, newest first.") var last = 10

    @Option(help: "Write the nights at a glance to FILE (HTML) instead of listing runs.") var html: String?

    @Option(help: "With --html: how many nights (run dates), newest last.") var nights = 7

    func validate() throws {
        if nights < 1 { throw ValidationError("--nights takes a whole number of nights, at least 1") }
    }

    func run() throws {
        let logger = global.makeLogger()
        let connection = try global.warehouse().connectMigrated(logger: logger)
        if let html { return try writePage(html, connection: connection) }
        let rows = try RunLedger(connection: connection).recent(limit: last)
        if rows.isEmpty {
            print("no runs yet")
            return
        }
        print("run  status      as of       started (UTC)        seconds  inputs  message")
        for row in rows {
            let started = (row["started_at"] ?? "").prefix(19)
            print(
                [
                    (row["run_id"] ?? "").padding(toLength: 4, withPad: " ", startingAt: 0),
                    Self.shownStatus(row).padding(toLength: 11, withPad: " ", startingAt: 0),
                    (row["as_of"] ?? "").padding(toLength: 11, withPad: " ", startingAt: 0),
                    String(started).padding(toLength: 20, withPad: " ", startingAt: 0),
                    (row["seconds"] ?? "").padding(toLength: 8, withPad: " ", startingAt: 0),
                    (row["inputs"] ?? "").padding(toLength: 7, withPad: " ", startingAt: 0),
                    row["message"] ?? "",
                ].joined(separator: " "))
        }
    }

    /// The ledger's status, except that a night that committed with a source failed or an input refused
    /// (exit 79; the ledger keeps it `succeeded`, its message starting `partial:`) reads `partial`.
    static func shownStatus(_ row: QueryResult.Row) -> String {
        let status = row["status"] ?? ""
        let partial = status == "succeeded" && (row["message"] ?? "").hasPrefix("partial:")
        return partial ? "partial" : status
    }
}
