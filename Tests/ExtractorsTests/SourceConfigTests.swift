// Proves declarative onboarding: a new feed with renamed columns, another date format, its own codes, pipe
// delimiter and Windows-1252 text is read by YAML alone; and `validate` reports every problem with its key path.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct SourceConfigTests {
    /// The worked example of docs/adding-a-source.md: copy this test when onboarding a feed.
    @Test func aNewFeedIsOnboardedByYAMLAlone() throws {
        let yaml = """
            source: hillcrest-usd
            extractor: school-attendance
            category: education
            agreement: hillcrest-usd-dsa-2027
            csv: { delimiter: "|", encoding: windows-1252 }
            columns:
              student_id: Student Number
              first_name: Legal First
              last_name: Legal Last
              birth_date: { header: DOB, formats: ["DD.MM.YYYY"] }
              school_id: Campus
              attendance_date: { header: Absence Date, formats: ["DD.MM.YYYY", "YYYY-MM-DD"] }
              attendance_code: Code
              minutes_absent: Mins
            codes:
              attendance_code: { U: absent-unexcused, X: absent-excused, PR: present }
            """
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "hillcrest-usd.yaml")
        #expect(problems.isEmpty)
        let config = try #require(parsed)
        #expect(config.validate().isEmpty)
        // "Zoë" and "Ñúñez" in code page 1252, as the district's SIS writes them.
        var bytes = Array("Student Number|Legal First|Legal Last|DOB|Campus|Absence Date|Code|Mins\r\n".utf8)
        bytes +=
            Array("H-77|Zo".utf8) + [0xEB] + Array("|".utf8) + [0xD1, 0xFA, 0xF1]
            + Array("ez|09.03.2014|HC-1|17.11.2026|U|\r\n".utf8)
        bytes += Array("H-78|Sam|Ode|01.12.2013|HC-1|2026-11-17|X|90\r\n".utf8)
        bytes += Array("H-79|Ida|Ode|01.12.2013|HC-1|11/17/2026|PR|\r\n".utf8)
        let sink = try extract(config, Scratch.bytes(bytes, name: "hillcrest-2026-11-17.csv"))
        #expect(sink.records.count == 2)
        let first = try #require(sink.records.first)
        #expect(first.source == "hillcrest-usd" && first.recordId == "H-77|2026-11-17")
        #expect(first.person.givenName == "Zoë" && first.person.familyName == "Ñúñez")
        #expect(first.person.birthDate == CivilDate(year: 2014, month: 3, day: 9))
        guard case .attendance(let day) = first.event, case .attendance(let second) = sink.records[1].event else {
            Issue.record("not attendance")
            return
        }
        #expect(day.status == .absentUnexcused && day.schoolId == "HC-1")
        #expect(second.status == .absentExcused && second.minutesAbsent == 90)
        // The date format not configured for this feed is a row error naming the accepted ones.
        #expect(
            sink.rejections.map(\.description) == [
                "hillcrest-2026-11-17.csv:4, column \"Absence Date\": not a date in DD.MM.YYYY or YYYY-MM-DD"
            ])
    }

    /// Issue 18: a district's illness code maps to `absent-illness`, kept apart from other excused absences.
    @Test func anIllnessCodeMapsToAbsentIllness() throws {
        let yaml = """
            source: hillcrest-usd
            extractor: school-attendance
            category: education
            agreement: hillcrest-usd-dsa-2027
            codes:
              attendance_code: { P: present, I: absent-illness, E: absent-excused }
            """
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "hillcrest-usd.yaml")
        #expect(problems.isEmpty)
        let config = try #require(parsed)
        #expect(config.validate().isEmpty)
        let header = "student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code\n"
        let csv =
            header + "H-1,Ida,Ode,2013-12-01,HC-1,2026-11-16,I\nH-1,Ida,Ode,2013-12-01,HC-1,2026-11-17,E\n"
            + "H-1,Ida,Ode,2013-12-01,HC-1,2026-11-18,P\n"
        let sink = try extract(config, Scratch.csv(csv, name: "hillcrest-2026-11-18.csv"))
        #expect(sink.rejections.isEmpty)
        let statuses = sink.records.compactMap { record -> AttendanceStatus? in
            guard case .attendance(let day) = record.event else { return nil }
            return day.status
        }
        #expect(statuses == [.absentIllness, .absentExcused, .present])
    }

    @Test func everyProblemIsReportedWithItsKeyPath() throws {
        let yaml = """
            source: Bad_Name
            extractor: school-attendance
            category: justice
            colums: {}
            csv: { delimiter: ":", encoding: ebcdic, quote: "'" }
            columns:
              student_id: StuNum
              shoe_size: Shoes
              birth_date: { header: DOB, formats: ["MM/DD/YYYY", "DD/MM/YY"] }
              school_id: { heading: School }
            codes:
              attendance_code: { U: skipped }
              grade: { K: kindergarten }
            labels: [sealed, secret]
            """
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "bad.yaml")
        let all = problems + (parsed?.validate() ?? [])
        let paths = Set(all.map(\.keyPath))
        #expect(
            paths == [
                "agreement", "source", "colums", "csv.delimiter", "csv.encoding", "csv.quote", "columns.shoe_size",
                "columns.birth_date.formats[1]", "columns.school_id.heading", "codes.attendance_code.U", "codes.grade",
                "labels[1]", "category",
            ])
        let text = all.map(\.description).joined(separator: "\n")
        #expect(text.contains("bad.yaml:4:1: colums: unknown key (did you mean columns?)"))
        // A nested mistake names its own line, not that of `columns:`.
        #expect(text.contains("bad.yaml:9:54: columns.birth_date.formats[1]: not a date format"))
        #expect(text.contains("bad.yaml:10:16: columns.school_id.heading: unknown key"))
        #expect(text.contains("school-attendance data is education, not justice"))
        #expect(all.allSatisfy { $0.file == "bad.yaml" })
    }

    @Test func unknownExtractorAndLayoutAreReported() {
        let (a, _) = SourceConfig.parse(
            yaml: "source: x\nextractor: fax-machine\ncategory: housing\nagreement: a", file: "x.yaml")
        #expect(a?.validate().map(\.keyPath) == ["extractor"])
        let (b, _) = SourceConfig.parse(
            yaml: "source: x\nextractor: jail-bookings\ncategory: justice\nagreement: a\nlayout: niem", file: "x.yaml")
        #expect(b?.validate().map(\.keyPath) == ["layout"])
        let (c, p) = SourceConfig.parse(yaml: "source: [unclosed", file: "x.yaml")
        #expect(c == nil && p.first?.message.hasPrefix("not valid YAML: ") == true && p.first?.line == 1)
    }

    /// Found by fuzzing (docs/fuzzing.md): libyaml puts an error (or an empty node) at the end of a text on the
    /// line after the last, which the file does not have.
    @Test func aYAMLErrorAtTheEndNamesTheLastLine() {
        // The last two: an empty document whose node libyaml places after the end.
        for yaml in [
            "source: x\nextractor: [a", "source: x\nextractor: [a\n", "source: x\r\nextractor: [a\r\n",
            "# a comment\n---", "# a comment\n---\n",
        ] {
            let (config, problems) = SourceConfig.parse(yaml: yaml, file: "x.yaml")
            #expect(config == nil && problems.map(\.line) == [2], "\(yaml.debugDescription)")
        }
    }

    @Test func theCommittedSourceConfigsAreValid() throws {
        let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("pipelines/sources")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(
            names == [
                "ce-by-name-list.yaml", "coc-hmis.yaml", "county-jail.yaml", "lakeside-edfi.yaml", "riverside-usd.yaml",
            ])
        // Each names an agreement the committed consent policy signs with that source (the policy is the truth;
        // `lastmile validate` checks the same through the Consent module).
        let policy = try String(
            contentsOf: folder.deletingLastPathComponent().appendingPathComponent("consent-policy.yaml"),
            encoding: .utf8)
        for name in names {
            let config = try SourceConfig.load(path: folder.appendingPathComponent(name).path)
            let agreement = try #require(config.agreement)
            #expect(policy.contains("  - id: \(agreement)\n    source: \(config.name)\n"), "\(name)")
            #expect(config.category == ExtractorRegistry.extractor(kind: config.extractor)?.category)
        }
    }

    @Test func theFileMustBeNamedAfterItsSource() {
        let path = Scratch.csv(
            "source: other\nextractor: jail-bookings\ncategory: justice\nagreement: a\n", name: "county.yaml")
        #expect(throws: SourceConfigError.self) { try SourceConfig.load(path: path) }
    }
}

@Suite struct RejectsFileTests {
    @Test func writesOwnerOnlyCSVWithTheRawRow() throws {
        let path = Scratch.root.appendingPathComponent("rejects-\(UUID().uuidString).csv").path
        let writer = try RejectsFileWriter(path: path)
        let source = try extract(.defaults(for: "school-attendance"), Fixtures.path("school-attendance-default.csv"))
        var sink = QuarantiningSink(base: CollectingSink(), rejects: writer)
        for (rejection, raw) in zip(source.rejections, source.rawRows) { try sink.reject(rejection, raw: raw) }
        try writer.flush()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let reader = try CSVReader(path: path)
        #expect(reader.header == ["file", "table", "line", "column", "reason", "expected", "raw_row"])
        var rows: [[String]] = []
        while let row = try reader.nextRow() { rows.append(row.allFields) }
        #expect(rows.count == source.rejections.count && sink.base.rejections.count == rows.count)
        #expect(
            rows[0][0] == "school-attendance-default.csv" && rows[0][1] == "" && rows[0][2] == "9"
                && rows[0][4] == "unparseable-date")
        // The raw row is the original line, for the data engineer's eyes only.
        #expect(rows[0][6].hasPrefix("S1006,Ivy,,Nguyen,,2014-02-30"))
    }
}

/// The "done when" of issue 3: every committed source config reads its committed sample input.
@Suite struct SampleDataTests {
    static let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: ["riverside-usd", "lakeside-edfi", "coc-hmis", "county-jail", "ce-by-name-list"])
    func everySourceReadsItsSample(source: String) throws {
        let config = try SourceConfig.load(
            path: Self.repository.appendingPathComponent("pipelines/sources/\(source).yaml").path)
        let inbox = Self.repository.appendingPathComponent("sample-data/inbox/\(source)")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: inbox.path).sorted()
        try #require(!inputs.isEmpty, "no sample input for \(source)")
        for input in inputs {
            let sink = try extract(config, inbox.appendingPathComponent(input).path)
            #expect(sink.records.count > 5, "\(source)/\(input): \(sink.records.count) records")
            // The sample carries a few deliberately broken rows; everything else must read.
            #expect(
                sink.rejections.count <= max(5, sink.records.count / 10),
                "\(source)/\(input): \(sink.rejections.count) rejected")
            #expect(sink.records.allSatisfy { $0.source == source && $0.event.category == config.category })
        }
    }
}
