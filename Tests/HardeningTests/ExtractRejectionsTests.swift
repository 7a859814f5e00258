// Issue 16 item 5: `lastmile extract --all` lists every rejected row, not the first ten; with --format jsonl as
// JSON lines a script can read. Rejections name file, line, column and what was expected, never a value.
import Foundation
import TestSupport
import Testing

@Suite struct ExtractRejectionsTests {
    /// A school-attendance file with `bad` rows whose date is no date, each with a distinctive name.
    static func file(bad: Int, good: Int) throws -> (dir: TemporaryDirectory, path: String) {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("attendance.csv")
        var lines = ["student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code"]
        for i in 0..<good { lines.append("S\(i),Ann,Lee,2015-01-02,SCH1,2026-11-02,P") }
        for i in 0..<bad { lines.append("B\(i),Zebulon\(i),Quill,2015-01-02,SCH1,not-a-date-\(i),P") }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return (dir, url.path)
    }

    @Test func allWithJSONLinesPrintsEveryRejectionAsAJSONLineWithoutPersonalData() throws {
        let (dir, path) = try Self.file(bad: 25, good: 3)
        let result = try LastMileBinary.run(
            ["extract", "--extractor", "school-attendance", "--all", "--format", "jsonl", path], in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let rejections = objects.filter { $0["type"] as? String == "rejection" }
        #expect(rejections.count == 25)
        #expect(objects.filter { $0["type"] as? String == "record" }.count == 3)
        let lines = Set(rejections.compactMap { $0["line"] as? Int })
        #expect(lines == Set(5...29))
        let first = try #require(rejections.first)
        #expect(first["file"] as? String == "attendance.csv" && first["reason"] as? String == "unparseable-date")
        #expect(first["column"] as? String == "attendance_date" && first["table"] as? String == "")
        // Neither the names nor the bad values reach the console.
        let console = result.stdout + result.stderr
        #expect(!console.contains("Zebulon") && !console.contains("Quill") && !console.contains("not-a-date-"))
    }

    @Test func withoutAllTheSummaryShowsTheFirstTenAndWithAllEveryOne() throws {
        let (dir, path) = try Self.file(bad: 12, good: 0)
        let some = try LastMileBinary.run(["extract", "--extractor", "school-attendance", path], in: dir.url)
        #expect(some.status == 0, "\(some.stderr)")
        #expect(some.stdout.components(separatedBy: "column \"attendance_date\"").count - 1 == 10)
        let every = try LastMileBinary.run(["extract", "--extractor", "school-attendance", "--all", path], in: dir.url)
        #expect(every.status == 0, "\(every.stderr)")
        #expect(every.stdout.contains("rejected rows:\n"))
        #expect(every.stdout.components(separatedBy: "column \"attendance_date\"").count - 1 == 12)
    }
}
