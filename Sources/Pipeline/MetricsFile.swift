import Foundation
import LastMileCore
import Store
import Warehouse

/// A Prometheus text-format file for node_exporter's textfile collector, built gauge by gauge and written
/// atomically (a temporary file beside it, then rename), so the collector never reads half a file.
public struct MetricsText: Sendable {
    private var lines: [String] = []

    public init() {}

    /// Adds a gauge: its HELP and TYPE lines, then one sample per label set.
    public mutating func gauge(_ name: String, help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) gauge")
        for sample in samples {
            let labels = sample.labels.map { "\($0.0)=\"\(Self.escaped($0.1))\"" }.joined(separator: ",")
            lines.append("\(name){\(labels)} \(Self.formatted(sample.value))")
        }
    }

    /// Adds a gauge with one sample.
    public mutating func gauge(_ name: String, help: String, labels: [(String, String)], value: Double) {
        gauge(name, help: help, [(labels, value)])
    }

    /// The file's text.
    public var text: String { lines.joined(separator: "\n") + "\n" }

    /// Writes the file atomically; throws `OutputError` (exit 73) when it cannot.
    public func write(to path: String) throws {
        let temporary = path + ".tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
        else { throw OutputError(path: path, what: "metrics file") }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OutputError(path: path, what: "metrics file")
        }
    }

    /// The value of the first sample of `name` in an existing metrics file, e.g. to carry a last-success time
    /// over a run that could not reach the warehouse.
    public static func previousValue(of name: String, in path: String) -> Double? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + "{") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    /// A label value as the text format wants it: backslash, double quote and newline escaped.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}

/// How a command ended, for the metrics file: the exit status and its class.
public struct CommandOutcome: Sendable, Equatable {
    public var exitStatus: ExitStatus
    public var finishedAt: Date

    public init(exitStatus: ExitStatus, finishedAt: Date) {
        self.exitStatus = exitStatus
        self.finishedAt = finishedAt
    }

    public var succeeded: Bool { exitStatus == .ok }

    /// The failure class, named after the exit status: `unavailable` (69), `temporary_failure` (75), …
    public var failureClass: String {
        switch exitStatus {
        case .ok: "none"
        case .usage: "usage"
        case .dataError: "data_error"
        case .unavailable: "unavailable"
        case .software: "software"
        case .cannotCreate: "cannot_create"
        case .temporaryFailure: "temporary_failure"
        case .permission: "permission"
        case .configuration: "configuration"
        case .partialFailure: "partial_failure"
        }
    }

    /// The gauges every command's metrics file has, under `prefix` (e.g. `lastmile_report`): success 1/0, the
    /// exit status, the failure class (only when it failed), when it ended and when it last succeeded.
    /// `lastSuccess` is the caller's best knowledge; without it the previous file's value is kept.
    public func addOutcome(
        to metrics: inout MetricsText, prefix: String, labels: [(String, String)], lastSuccess: Date?, path: String
    ) {
        let previous = MetricsText.previousValue(of: prefix + "_last_success_timestamp_seconds", in: path)
        let success =
            lastSuccess?.timeIntervalSince1970 ?? (succeeded ? finishedAt.timeIntervalSince1970 : previous ?? 0)
        metrics.gauge(
            prefix + "_last_success_timestamp_seconds", help: "End of the last successful run (0: none known).",
            labels: labels, value: success.rounded())
        metrics.gauge(
            prefix + "_last_run_success", help: "1 when the last run succeeded, 0 when it failed.", labels: labels,
            value: succeeded ? 1 : 0)
        metrics.gauge(
            prefix + "_last_run_exit_status", help: "The last run's exit status (see the README's exit codes).",
            labels: labels, value: Double(exitStatus.rawValue))
        metrics.gauge(
            prefix + "_last_run_timestamp_seconds", help: "End of the last run, whatever its outcome.", labels: labels,
            value: finishedAt.timeIntervalSince1970.rounded())
        if !succeeded {
            metrics.gauge(
                prefix + "_last_run_failure", help: "1 for the class of the last run's failure.",
                labels: labels + [("class", failureClass)], value: 1)
        }
    }
}

/// The nightly run's metrics file: last success time, duration and counts.
enum MetricsFile {
    /// Writes the metrics of a run that committed, its last success time the ledger's. A partial night (a
    /// source failed, an input refused) has exit status 79 and its last success time is the ledger's last
    /// complete night (not the metrics file's, which a new host or a new path does not have); every
    /// source has `lastmile_source_failed` (1 when it failed tonight).
    static func write(path: String, summary: RunSummary, connection: Connection, pipeline: String) throws {
        let partial = summary.isPartial
        let committed = try RunLedger(connection: connection).lastSuccess(pipeline: pipeline)
        var metrics = MetricsText()
        let p = [("pipeline", pipeline)]
        CommandOutcome(exitStatus: partial ? .partialFailure : .ok, finishedAt: Date()).addOutcome(
            to: &metrics, prefix: "lastmile", labels: p,
            lastSuccess: committed, path: path)
        let failed = Set(summary.failedSources.map(\.source))
        metrics.gauge(
            "lastmile_source_failed",
            help: "1 when the source failed in the last run (an unusable input; its files are retried), else 0.",
            summary.sources.map { (p + [("source", $0.source)], failed.contains($0.source) ? 1 : 0) })
        addFeedGauges(to: &metrics, summary: summary, labels: p)
        metrics.gauge(
            "lastmile_run_duration_seconds", help: "Duration of the last successful run.", labels: p,
            value: summary.seconds)
        var rows: [(labels: [(String, String)], value: Double)] = []
        for s in summary.sources {
            let outcomes: [(String, Int)] = [
                ("read", s.rowsRead), ("rejected", SourceRunCounts.sum(s.rejected)),
                ("consent_dropped", SourceRunCounts.sum(s.consentDropped)), ("unmatched", s.unmatched),
                ("review", s.review), ("consent_denied", SourceRunCounts.sum(s.deniedAfterMatch)), ("loaded", s.loaded),
            ]
            rows += outcomes.map { (p + [("source", s.source), ("outcome", $0.0)], Double($0.1)) }
        }
        metrics.gauge("lastmile_rows", help: "Rows of the last run by source and outcome.", rows)
        metrics.gauge(
            "lastmile_flags_active", help: "Active flags in the warehouse after the last run.", labels: p,
            value: Double(summary.flags.active))
        metrics.gauge(
            "lastmile_review_open_items", help: "Review items waiting for a reviewer (undecided or deferred).",
            labels: p, value: Double(summary.reviewQueue.open))
        metrics.gauge(
            "lastmile_review_oldest_age_days", help: "Age in days of the oldest open review item (0: none open).",
            labels: p, value: Double(summary.reviewQueue.oldestAgeDays ?? 0))
        try metrics.write(to: path)
    }
}

extension MetricsFile {
    /// Per source: the inputs its pattern matched, the new files read, the warnings, and (when no new file
    /// came) how many days old its newest loaded file is.
    static func addFeedGauges(to metrics: inout MetricsText, summary: RunSummary, labels p: [(String, String)]) {
        func perSource(_ value: (SourceRunCounts) -> Int) -> [(labels: [(String, String)], value: Double)] {
            summary.sources.map { (p + [("source", $0.source)], Double(value($0))) }
        }
        metrics.gauge(
            "lastmile_source_inputs_matched", help: "Inputs the source's pattern matched in the last run.",
            perSource(\.filesMatched))
        metrics.gauge(
            "lastmile_source_files_read", help: "Input files the source read in the last run (new or reprocessed).",
            perSource(\.files))
        metrics.gauge(
            "lastmile_source_warnings", help: "Warnings about the source's feed in the last run (see the summary).",
            perSource { $0.warnings.count })
        metrics.gauge(
            "lastmile_source_feed_age_days",
            help: "Days since the source's newest loaded file, when the last run read no new file of it.",
            summary.sources.compactMap { s in s.feedAgeDays.map { (p + [("source", s.source)], Double($0)) } })
    }

    /// Writes the metrics of a failed run: success 0, its failure class, the ledger's last success time.
    /// A failure to write is ignored: the run's own error is what the caller reports.
    static func writeFailure(path: String, error: any Error, connection: Connection, pipeline: String) {
        let committed = try? RunLedger(connection: connection).lastSuccess(pipeline: pipeline)
        var metrics = MetricsText()
        let status = (error as? any ClassifiedError)?.exitStatus ?? .software
        CommandOutcome(exitStatus: status, finishedAt: Date()).addOutcome(
            to: &metrics, prefix: "lastmile", labels: [("pipeline", pipeline)],
            lastSuccess: committed, path: path)
        try? metrics.write(to: path)
    }
}

/// A run output (metrics file, rejects folder) cannot be written: exit 73.
public struct OutputError: ClassifiedError, CustomStringConvertible {
    public var path: String
    public var what: String
    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String { "\(path): cannot write the \(what); check the disk and its permissions" }
}

/// The run committed but its metrics file could not be written: exit 73 (an output cannot be written), with a
/// message saying the data is in the warehouse, so nobody re-runs the night for it. The CLI prints the summary.
public struct MetricsNotWrittenAfterCommit: ClassifiedError, CustomStringConvertible {
    public var path: String
    public var summary: RunSummary
    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String {
        "run \(summary.runId.map(String.init) ?? "") committed: its data is in the warehouse and a re-run would add nothing; "
            + "only the metrics file \(path) could not be written (check the disk and its permissions)"
    }
}
