// Issue 18 item 1 through the built binary: the sample list states its data date per source; a list made
// 30 days after the newest attendance data warns on the list, on the console and in the metrics file, and
// still exits 0 (docs/operations.md).
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct DataFreshnessEndToEndTests {
    @Test func freshAndStaleListsSaySoOnTheListAndInTheMetrics() throws {
        let workspace = try SampleWorkspace()
        let metrics = workspace.root.appendingPathComponent("report.prom")
        try TestDatabase.withFreshDatabase { url in
            let night = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")

            let fresh = try report(workspace, url, week: "2026-11-23", asOf: "2026-11-23", metrics: metrics)
            #expect(fresh.status == 0, "\(fresh.stderr)")
            #expect(
                fresh.stdout.contains("attendance data through 2026-11-20 (source riverside-usd)"), "\(fresh.stdout)")
            #expect(!fresh.stdout.contains("warning:"))
            let freshMetrics = try String(contentsOf: metrics, encoding: .utf8)
            #expect(
                freshMetrics.contains("lastmile_report_stale_sources{report=\"absenteeism\"} 0\n"), "\(freshMetrics)")
            #expect(
                freshMetrics.contains(
                    "lastmile_report_data_age_days{report=\"absenteeism\",source=\"riverside-usd\"} 3\n"))
            let freshHTML = try list(workspace, week: "2026-11-23", ext: "html")
            #expect(freshHTML.contains("Attendance data through 20 November 2026 (source riverside-usd)"))
            #expect(freshHTML.contains("Reporting week of 23 November 2026"))
            #expect(!freshHTML.contains("role=\"alert\""))

            let stale = try report(workspace, url, week: "2026-12-21", asOf: "2026-12-20", metrics: metrics)
            #expect(stale.status == 0, "a stale list is still made and delivered: \(stale.stderr)")
            #expect(stale.stdout.contains("warning: attendance data through 2026-11-20 (source riverside-usd)"))
            #expect(stale.stderr.contains("stale attendance data"), "the log warns: \(stale.stderr)")
            let staleMetrics = try String(contentsOf: metrics, encoding: .utf8)
            #expect(
                staleMetrics.contains("lastmile_report_stale_sources{report=\"absenteeism\"} 1\n"), "\(staleMetrics)")
            #expect(
                staleMetrics.contains(
                    "lastmile_report_data_age_days{report=\"absenteeism\",source=\"riverside-usd\"} 30\n"))
            let staleHTML = try list(workspace, week: "2026-12-21", ext: "html")
            #expect(staleHTML.contains("role=\"alert\""))
            #expect(staleHTML.contains("Reporting week of 21 December 2026"))
            let staleCSV = try list(workspace, week: "2026-12-21", ext: "csv")
            let second = staleCSV.components(separatedBy: "\r\n").dropFirst().first ?? ""
            #expect(second.hasPrefix("Warning: attendance data from riverside-usd ends 2026-11-20 (30 days"))
        }
    }

    private func report(_ workspace: SampleWorkspace, _ url: String, week: String, asOf: String, metrics: URL) throws
        -> CommandResult
    {
        try LastMileBinary.run(
            [
                "report", "absenteeism", "--practice", "riverside-peds", "--no-deliver", "--week-of", week, "--as-of",
                asOf, "--database", url, "--metrics-file", metrics.path,
            ],
            in: workspace.root)
    }

    /// riverside-peds's list of `week` from the workspace's outbox.
    private func list(_ workspace: SampleWorkspace, week: String, ext: String) throws -> String {
        let file = workspace.root.appendingPathComponent(
            "outbox/riverside-peds/\(week)/absenteeism-riverside-peds-\(week).\(ext)")
        return try String(contentsOf: file, encoding: .utf8)
    }
}
