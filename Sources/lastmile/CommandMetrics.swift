import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store

/// The metrics files of `run`, `report` and `export` (`--metrics-file`): written on every exit path, so a
/// command that fails before it reaches the warehouse still says so to monitoring.
enum CommandMetrics {
    /// The exit status `LastMile.main` gives an error (see `ExitStatus`).
    static func exitStatus(of error: any Error) -> ExitStatus {
        if let classified = error as? any ClassifiedError { return classified.exitStatus }
        if error is ValidationError { return .usage }
        return .software
    }

    /// Writes a failed command's metrics file; a failure to write it is ignored (the command's own error,
    /// which is about to be reported, matters more).
    static func recordFailure(
        _ error: any Error, prefix: String, labels: [(String, String)], path: String, at time: Date
    ) {
        var metrics = MetricsText()
        CommandOutcome(exitStatus: exitStatus(of: error), finishedAt: time).addOutcome(
            to: &metrics, prefix: prefix, labels: labels, lastSuccess: nil, path: path)
        try? metrics.write(to: path)
    }

    /// Writes a successful command's metrics file, with `gauges` of its own after the common ones. If it
    /// cannot be written, the command's work is done: the error says so (`done`) and exits 73.
    static func recordSuccess(
        prefix: String, labels: [(String, String)], path: String, at time: Date, done: String,
        gauges: (inout MetricsText) -> Void = { _ in }
    ) throws {
        var metrics = MetricsText()
        CommandOutcome(exitStatus: .ok, finishedAt: time).addOutcome(
            to: &metrics, prefix: prefix, labels: labels, lastSuccess: nil, path: path)
        gauges(&metrics)
        do {
            try metrics.write(to: path)
        } catch {
            throw MetricsNotWrittenAfterWork(path: path, done: done)
        }
    }
}

/// A command finished its work but could not write its metrics file: exit 73, saying the work is done.
struct MetricsNotWrittenAfterWork: ClassifiedError, CustomStringConvertible {
    var path: String
    var done: String
    var exitStatus: ExitStatus { .cannotCreate }
    var description: String {
        "\(done); only the metrics file \(path) could not be written (check the disk and its permissions)"
    }
}

extension Run {
    /// Runs the pipeline (`runPipeline`). With `--metrics-file`, a run that fails anywhere — the pipeline file,
    /// the warehouse, the lock, an input — writes the file too, with success 0 and the failure class.
    func run() throws {
        do {
            try runPipeline()
        } catch let error as MetricsNotWrittenAfterCommit {
            print(error.summary.rendered())
            throw error
        } catch let error where error is SourcesFailed || error is InputsRefused {
            throw error  // a partial night committed; its metrics file, written by the run, already says so
        } catch {
            if let metricsFile {
                let name =
                    (try? PipelineConfig.load(path: pipeline))?.name
                    ?? URL(fileURLWithPath: pipeline).deletingPathExtension().lastPathComponent
                CommandMetrics.recordFailure(
                    error, prefix: "lastmile", labels: [("pipeline", name)], path: metricsFile, at: Date())
            }
            throw error
        }
    }
}

extension Report.Absenteeism {
    /// Writes and delivers the lists (`writeAndDeliver`); with `--metrics-file`, records the outcome.
    func run() throws {
        let labels = [("report", "absenteeism")]
        let outcomes: [AbsenteeismReport.Outcome]
        do {
            outcomes = try writeAndDeliver()
        } catch {
            if let metricsFile {
                CommandMetrics.recordFailure(
                    error, prefix: "lastmile_report", labels: labels, path: metricsFile, at: Date())
            }
            throw error
        }
        if let metricsFile {
            try CommandMetrics.recordSuccess(
                prefix: "lastmile_report", labels: labels, path: metricsFile, at: Date(),
                done: "the lists were written, recorded and delivered"
            ) { metrics in
                Self.addFreshness(outcomes, to: &metrics, labels: labels)
            }
        }
    }

    /// The freshness gauges: how many sources on the lists written are stale (0 when none; the command still
    /// exits 0), and each shown source's data age in days.
    static func addFreshness(
        _ outcomes: [AbsenteeismReport.Outcome], to metrics: inout MetricsText, labels: [(String, String)]
    ) {
        metrics.gauge(
            "lastmile_report_stale_sources",
            help: "Sources on the lists written whose newest attendance data is older than stale_after_days.",
            labels: labels, value: Double(staleSources(outcomes).count))
        let ages = shownSources(outcomes).compactMap { source in
            source.daysOld.map { (labels: labels + [("source", source.source)], value: Double($0)) }
        }
        guard !ages.isEmpty else { return }
        metrics.gauge(
            "lastmile_report_data_age_days",
            help: "Days from a source's newest attendance date to the day the lists were made.", ages)
    }
}

extension Export.FHIR {
    /// Writes the export (`export`); with `--metrics-file`, records the outcome and its counts.
    func run() throws {
        let labels = [("export", "fhir")]
        let outcome: FHIRFlagExport.Outcome
        do {
            outcome = try export()
        } catch {
            if let metricsFile {
                CommandMetrics.recordFailure(
                    error, prefix: "lastmile_export", labels: labels, path: metricsFile, at: Date())
            }
            throw error
        }
        guard let metricsFile else { return }
        try CommandMetrics.recordSuccess(
            prefix: "lastmile_export", labels: labels, path: metricsFile, at: Date(),
            done: "the export was written and its disclosures recorded"
        ) { metrics in
            metrics.gauge(
                "lastmile_export_flags", help: "Flags in the last export.", labels: labels,
                value: Double(outcome.flags))
            metrics.gauge(
                "lastmile_export_withheld", help: "Flags withheld by consent from the last export.", labels: labels,
                value: Double(outcome.withheld))
        }
    }
}
