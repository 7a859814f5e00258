// Issue 16 through the built binary, on copies of pipelines/ and sample-data/: an absence-only export loaded
// as positive attendance is refused (65), and `attendance: absences-only` without an enrollment file and a
// calendar is a configuration error (78) with file:line:column.
import Foundation
import TestSupport
import Testing

@Suite struct AttendanceShapeCommandTests {
    @Test func anAbsenceOnlyExportIsRefusedByExtract() throws {
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let sample = try String(
            contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
        var lines = sample.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst()
        // The sample's absence rows only: what a PowerSchool "absences" export of the same night holds.
        let absences = lines.filter { !$0.contains(",P,") }
        #expect(absences.count > 0 && absences.count < lines.count)
        let file = inbox.appendingPathComponent("absences-2026-11-20.csv")
        try ([header] + absences).joined(separator: "\n").appending("\n").write(
            to: file, atomically: true, encoding: .utf8)

        let refused = try LastMileBinary.run(["extract", "--source", "riverside-usd", file.path], in: workspace.root)
        #expect(refused.status == 65, "\(refused.stderr)")
        // Rows with a code; the sample's few rows without one are rejected, not counted.
        #expect(
            refused.stderr.range(
                of: #"lastmile: absences-2026-11-20\.csv: looks absence-only: no present code in \d+ rows; "#
                    + "declare `attendance: absences-only` with an enrollment file and a calendar",
                options: .regularExpression) != nil, "\(refused.stderr)")

        let sampleRun = try LastMileBinary.run(
            ["extract", "--source", "riverside-usd", inbox.appendingPathComponent("attendance-2026-11-20.csv").path],
            in: workspace.root)
        #expect(sampleRun.status == 0, "\(sampleRun.stderr)")
    }

    @Test func absencesOnlyWithoutEnrollmentAndCalendarFailsValidation() throws {
        let workspace = try SampleWorkspace()
        try FileManager.default.copyItem(
            at: SampleWorkspace.repositoryRoot.appendingPathComponent("scripts"),
            to: workspace.root.appendingPathComponent("scripts"))
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "attendance: positive", with: "attendance: absences-only"
        )
        let result = try LastMileBinary.run(
            ["validate", "--pipelines", "pipelines", "--as-of", "2026-11-20"], in: workspace.root)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(
            result.stderr.range(
                of: #"pipelines/sources/riverside-usd\.yaml:\d+:1: attendance: absences-only attendance has no "#
                    + "enrolled days of its own; name an `enrollment:` file",
                options: .regularExpression) != nil, "\(result.stderr)")
    }

    @Test func absencesOnlyWithEnrollmentAndCalendarAndAggregateWithItsLayoutValidate() throws {
        let workspace = try SampleWorkspace()
        try FileManager.default.copyItem(
            at: SampleWorkspace.repositoryRoot.appendingPathComponent("scripts"),
            to: workspace.root.appendingPathComponent("scripts"))
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "attendance: positive",
            with: "attendance: absences-only\nenrollment: sample-data/e-*.csv\ncalendar: sample-data/c-*.csv")
        try workspace.edit(
            "pipelines/sources/lakeside-edfi.yaml", replacing: "attendance: positive", with: "attendance: aggregate")
        let refused = try LastMileBinary.run(
            ["validate", "--pipelines", "pipelines", "--as-of", "2026-11-20"], in: workspace.root)
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("lakeside-edfi.yaml"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("riverside-usd.yaml"), "\(refused.stderr)")
        #expect(
            refused.stderr.range(
                of: #"lakeside-edfi\.yaml:\d+:1: attendance: aggregate attendance reads days absent and enrolled "#
                    + "per student; add `layout: aggregate`",
                options: .regularExpression) != nil, "\(refused.stderr)")
        try workspace.edit("pipelines/sources/lakeside-edfi.yaml", replacing: "layout: edfi", with: "layout: aggregate")
        let valid = try LastMileBinary.run(
            ["validate", "--pipelines", "pipelines", "--as-of", "2026-11-20"], in: workspace.root)
        #expect(valid.status == 0, "\(valid.stderr)")
    }
}
