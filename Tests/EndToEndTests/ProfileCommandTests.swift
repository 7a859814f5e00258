// `lastmile profile` through the built binary on the sample attendance file: text, JSON and the HTML page
// report its code mix and date format, compare with the previous file, and show no personal value.
import Foundation
import TestSupport
import Testing

@Suite struct ProfileCommandTests {
    static let file = "sample-data/inbox/riverside-usd/attendance-2026-11-20.csv"

    func profile(_ arguments: [String], in workspace: SampleWorkspace) throws -> CommandResult {
        try LastMileBinary.run(["profile"] + arguments, in: workspace.root)
    }

    /// Names, birth dates, phones and addresses of the sample file (values of 5 characters or more).
    func personalValues(_ workspace: SampleWorkspace) throws -> Set<String> {
        let text = try String(contentsOf: workspace.root.appendingPathComponent(Self.file), encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let personal = [0, 1, 2, 3, 5, 13, 14, 15]  // ids, names, birth date, guardian, phone, address
        return Set(
            rows.flatMap { row in personal.compactMap { $0 < row.count ? String(row[$0]) : nil } }
                .filter { $0.count >= 5 })
    }

    @Test func theTextReportsTheCodeMixAndDateFormat() throws {
        let workspace = try SampleWorkspace()
        let result = try profile(["--source", "riverside-usd", Self.file], in: workspace)
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("rows: 1641; no previous file of the source"))
        #expect(out.contains("attendance: 1456 present, 59 absent-excused, 48 absent-unexcused, 56 tardy"))
        #expect(out.contains("absence-only: no"))
        #expect(out.range(of: #"Q +1  UNMAPPED"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("dates of attendance_date: order year-first"))
        #expect(out.range(of: #"YYYY-MM-DD +100\.0% \(1641\)  configured"#, options: .regularExpression) != nil)
        #expect(out.contains("header: 20 fields; no drift against the config"))
        let leaked = try personalValues(workspace).filter { out.contains($0) }
        #expect(leaked.isEmpty, "\(leaked.sorted().prefix(5))")
    }

    @Test func jsonComparesWithThePreviousFileAndHTMLIsSelfContained() throws {
        let workspace = try SampleWorkspace()
        let previous = workspace.root.appendingPathComponent(
            "sample-data/inbox/riverside-usd/attendance-2026-11-19.csv")
        let sample = try String(contentsOf: workspace.root.appendingPathComponent(Self.file), encoding: .utf8)
        try sample.split(separator: "\n").prefix(3).joined(separator: "\n").appending("\n")
            .write(to: previous, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: previous.path)
        let result = try profile(
            ["--source", "riverside-usd", "--json", "--html", "profile.html", Self.file], in: workspace)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let first = try #require((object["profiles"] as? [[String: Any]])?.first)
        #expect(first["rows"] as? Int == 1641)
        let before = try #require(first["previous"] as? [String: Any])
        #expect(before["file"] as? String == "attendance-2026-11-19.csv")
        #expect(before["rows"] as? Int == 2 && before["change"] as? Int == 1639)
        let attendance = try #require(first["attendance"] as? [String: Any])
        #expect(attendance["absence_only"] as? Bool == false && attendance["unmapped"] as? Int == 1)
        let html = try String(contentsOf: workspace.root.appendingPathComponent("profile.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("Q UNMAPPED"))
        for external in ["<script", "src=", "href=", "url(", "@import"] { #expect(!html.contains(external)) }
        let values = try personalValues(workspace)
        for output in [result.stdout, html] {
            let leaked = values.filter { output.contains($0) }
            #expect(leaked.isEmpty, "\(leaked.sorted().prefix(5))")
        }
    }

    @Test func anExtractorsDefaultLayoutProfilesAFileWithoutConfig() throws {
        let workspace = try SampleWorkspace()
        let result = try profile(["--extractor", "school-attendance", Self.file], in: workspace)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("no source config, extractor school-attendance, default layout"))
        #expect(result.stdout.contains("no previous file"))
        let folder = try profile(["--extractor", "hmis-csv", "sample-data/inbox/coc-hmis"], in: workspace)
        #expect(folder.status == 64, "\(folder.stderr)")
    }
}
