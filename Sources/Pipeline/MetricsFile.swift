import Foundation
import LastMileCore
import Warehouse

/// A Prometheus textfile for node_exporter's textfile collector: last success time, duration and counts.
enum MetricsFile {
    /// Writes atomically (temporary file, then rename). `summary` is nil after a failed run.
    static func write(path: String, summary: RunSummary?, connection: Connection, pipeline: String) throws {
        let lastSuccess = try connection.execute(
            "SELECT extract(epoch FROM max(finished_at)) FROM lastmile.run WHERE status = 'succeeded' AND pipeline = $1",
            [pipeline]
        ).scalar.flatMap { Double($0) }
        let p = "pipeline=\"\(pipeline.replacingOccurrences(of: "\"", with: ""))\""
        var lines = [
            "# HELP lastmile_last_success_timestamp_seconds End of the last successful run.",
            "# TYPE lastmile_last_success_timestamp_seconds gauge",
            "lastmile_last_success_timestamp_seconds{\(p)} \(lastSuccess.map { String(format: "%.0f", $0) } ?? "0")",
            "# HELP lastmile_last_run_success 1 when the last run succeeded, 0 when it failed.",
            "# TYPE lastmile_last_run_success gauge",
            "lastmile_last_run_success{\(p)} \(summary == nil ? 0 : 1)",
        ]
        if let summary {
            lines += [
                "# HELP lastmile_run_duration_seconds Duration of the last successful run.",
                "# TYPE lastmile_run_duration_seconds gauge",
                "lastmile_run_duration_seconds{\(p)} \(String(format: "%.3f", summary.seconds))",
                "# HELP lastmile_rows Rows of the last run by source and outcome.",
                "# TYPE lastmile_rows gauge",
            ]
            for s in summary.sources {
                let outcomes: [(String, Int)] = [
                    ("read", s.rowsRead), ("rejected", SourceRunCounts.sum(s.rejected)),
                    ("consent_dropped", SourceRunCounts.sum(s.consentDropped)), ("unmatched", s.unmatched),
                    ("review", s.review), ("consent_denied", SourceRunCounts.sum(s.deniedAfterMatch)), ("loaded", s.loaded),
                ]
                for (outcome, n) in outcomes {
                    lines.append("lastmile_rows{\(p),source=\"\(s.source)\",outcome=\"\(outcome)\"} \(n)")
                }
            }
            lines += [
                "# HELP lastmile_flags_active Active flags in the warehouse after the last run.",
                "# TYPE lastmile_flags_active gauge",
                "lastmile_flags_active{\(p)} \(summary.flags.active)",
            ]
        }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
            attributes: [.posixPermissions: 0o644])
        else { throw OutputError(path: path, what: "metrics file") }
        guard rename(temporary, path) == 0 else { throw OutputError(path: path, what: "metrics file") }
    }
}

/// A run output (metrics file, rejects folder) cannot be written: exit 73.
public struct OutputError: ClassifiedError, CustomStringConvertible {
    public var path: String
    public var what: String
    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String { "\(path): cannot write the \(what); check the disk and its permissions" }
}
