// Issue 13 items 6 and 7: the metrics file of `run`, `report` and `export` is written on every exit path with
// the failure class, and a metrics file that cannot be written after the commit says the data was committed.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct MetricsFileTests {
    static let unreachable = "postgresql://loader@127.0.0.1:1/hie?connect_timeout=2"

    @Test func anUnreachableWarehouseLeavesRunSuccessZeroWithTheFailureClass() throws {
        let workspace = try SampleWorkspace()
        let metrics = workspace.root.appendingPathComponent("lastmile.prom")
        // The previous night succeeded: its file says so, with its success time.
        try Data(
            """
            lastmile_last_success_timestamp_seconds{pipeline="nightly"} 1795000000
            lastmile_last_run_success{pipeline="nightly"} 1

            """.utf8
        ).write(to: metrics)
        let result = try LastMileBinary.run(
            [
                "run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", Self.unreachable,
                "--metrics-file", metrics.path,
            ],
            in: workspace.root)
        #expect(result.status == 75, "\(result.stderr)")
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(text.contains("lastmile_last_run_success{pipeline=\"nightly\"} 0\n"), "\(text)")
        #expect(text.contains("lastmile_last_run_failure{pipeline=\"nightly\",class=\"temporary_failure\"} 1\n"))
        #expect(text.contains("lastmile_last_run_exit_status{pipeline=\"nightly\"} 75\n"))
        #expect(text.contains("lastmile_last_success_timestamp_seconds{pipeline=\"nightly\"} 1795000000\n"))
        #expect(!FileManager.default.fileExists(atPath: metrics.path + ".tmp"))
    }

    @Test func anInvalidPipelineFileStillWritesTheMetricsFile() throws {
        let workspace = try SampleWorkspace()
        let metrics = workspace.root.appendingPathComponent("lastmile.prom")
        try Data("pipeline: [unclosed\n".utf8).write(to: workspace.root.appendingPathComponent("pipelines/bad.yaml"))
        let result = try LastMileBinary.run(
            ["run", "pipelines/bad.yaml", "--database", Self.unreachable, "--metrics-file", metrics.path],
            in: workspace.root)
        #expect(result.status == 78, "\(result.stderr)")
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(text.contains("lastmile_last_run_failure{pipeline=\"bad\",class=\"configuration\"} 1\n"), "\(text)")
    }

    @Test func aMetricsFileThatCannotBeWrittenAfterTheCommitSaysTheDataWasCommitted() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let metrics = workspace.root.appendingPathComponent("no-such-folder/lastmile.prom").path
            let result = try LastMileBinary.run(
                [
                    "run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url, "--metrics-file",
                    metrics,
                ],
                in: workspace.root)
            #expect(result.status == 73, "\(result.stderr)")
            #expect(result.stderr.contains("committed"), "\(result.stderr)")
            #expect(result.stderr.contains("only the metrics file"))
            #expect(result.stdout.contains("riverside-usd"), "the run's summary is printed")
            let runs = try LastMileBinary.run(["runs", "--database", url], in: workspace.root)
            #expect(runs.stdout.contains("succeeded"), "\(runs.stdout)")
        }
    }

    @Test func reportAndExportWriteTheirOwnMetrics() throws {
        let workspace = try SampleWorkspace()
        let reportMetrics = workspace.root.appendingPathComponent("report.prom")
        let failed = try LastMileBinary.run(
            [
                "report", "absenteeism", "--all-practices", "--no-deliver", "--database", Self.unreachable,
                "--metrics-file", reportMetrics.path,
            ],
            in: workspace.root)
        #expect(failed.status == 75, "\(failed.stderr)")
        let failedText = try String(contentsOf: reportMetrics, encoding: .utf8)
        #expect(failedText.contains("lastmile_report_last_run_success{report=\"absenteeism\"} 0\n"), "\(failedText)")
        #expect(
            failedText.contains(
                "lastmile_report_last_run_failure{report=\"absenteeism\",class=\"temporary_failure\"} 1"))

        try TestDatabase.withFreshDatabase { url in
            let night = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")
            let report = try LastMileBinary.run(
                [
                    "report", "absenteeism", "--all-practices", "--no-deliver", "--week-of", "2026-11-23", "--as-of",
                    "2026-11-23", "--database", url, "--metrics-file", reportMetrics.path,
                ],
                in: workspace.root)
            #expect(report.status == 0, "\(report.stderr)")
            let text = try String(contentsOf: reportMetrics, encoding: .utf8)
            #expect(text.contains("lastmile_report_last_run_success{report=\"absenteeism\"} 1\n"), "\(text)")
            #expect(!text.contains("lastmile_report_last_run_failure"))

            let exportMetrics = workspace.root.appendingPathComponent("export.prom")
            let export = try LastMileBinary.run(
                [
                    "export", "fhir", "--since", "2026-11-01", "--out",
                    workspace.root.appendingPathComponent("fhir").path,
                    "--recipient", "practice:riverside-peds", "--as-of", "2026-11-23", "--database", url,
                    "--metrics-file", exportMetrics.path,
                ],
                in: workspace.root)
            #expect(export.status == 0, "\(export.stderr)")
            let exportText = try String(contentsOf: exportMetrics, encoding: .utf8)
            #expect(exportText.contains("lastmile_export_last_run_success{export=\"fhir\"} 1\n"), "\(exportText)")
            #expect(exportText.contains("lastmile_export_flags{export=\"fhir\"} "))
        }
    }
}
