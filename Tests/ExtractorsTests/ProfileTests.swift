// `lastmile profile`'s logic, in memory: the code mix with unmapped codes, date order, the absence-only
// verdict, person-key repeats, header drift, and that no planted personal value reaches the text or JSON.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct ProfileTests {
    static let header = [
        "student_id", "first_name", "last_name", "birth_date", "school_id", "attendance_date", "attendance_code",
        "guardian_name",
    ]

    /// A riverside-like config that maps `U` besides the layout's default codes.
    static let config = SourceConfig(
        name: "riverside-usd", extractor: "school-attendance", codes: ["attendance_code": ["U": "absent-unexcused"]])

    /// One attendance row in `header`'s order.
    static func row(
        _ id: String, code: String, date: String = "2026-11-20", birth: String = "2011-04-17",
        first: String = "Quintessa", last: String = "Vandermeer", guardian: String = "Rosalind Okwell"
    ) -> [String?] {
        [id, first, last, birth, "102", date, code, guardian]
    }

    static func profile(
        _ rows: [[String?]], header: [String] = header, config: SourceConfig = config
    ) -> FeedProfile {
        var profiler = FeedProfiler(
            file: "attendance.csv", config: config, layout: SchoolAttendanceExtractor.defaultLayout, header: header)
        for row in rows { profiler.add(row) }
        return profiler.finish()
    }

    static func column(_ p: FeedProfile, _ name: String) throws -> ColumnProfile {
        try #require(p.columns.first { $0.name == name })
    }

    @Test func theCodeMixMarksUnmappedCodes() throws {
        let p = Self.profile([
            Self.row("1", code: "P"), Self.row("2", code: "P"), Self.row("3", code: "U"), Self.row("4", code: "Z9"),
        ])
        let codes = try #require(try Self.column(p, "attendance_code").codes)
        #expect(codes.map(\.display) == ["P", "U", "Z9"])
        #expect(codes.map(\.mapped) == [true, true, false])
        #expect(codes.map(\.value) == ["present", "absent-unexcused", nil])
        #expect(try Self.column(p, "attendance_code").unmapped == 1)
        let mix = try #require(p.attendance)
        #expect(mix.unmapped == 1)
        #expect(mix.byStatus.first { $0.status == "present" }?.rows == 2)
        #expect(mix.byStatus.first { $0.status == "absent-unexcused" }?.rows == 1)
        #expect(p.text.contains("Z9") && p.text.contains("UNMAPPED"))
    }

    @Test func anAbsenceOnlyFileIsNamed() throws {
        let absences = Self.profile([Self.row("1", code: "A"), Self.row("2", code: "E"), Self.row("3", code: "T")])
        #expect(absences.attendance?.absenceOnly == true)
        #expect(absences.text.contains("absence-only: YES"))
        let mixed = Self.profile([Self.row("1", code: "A"), Self.row("2", code: "P")])
        #expect(mixed.attendance?.absenceOnly == false)
        // Codes the map does not know say nothing about presence.
        let unknown = Self.profile([Self.row("1", code: "Z9")])
        #expect(unknown.attendance?.absenceOnly == false)
        // …so the text does not claim the file is not absence-only either (a new-user trial read "no" there).
        #expect(unknown.text.contains("absence-only: not known (no row's code maps to present; 1 row(s) UNMAPPED"))
        #expect(mixed.text.contains("absence-only: no\n"))
    }

    @Test(arguments: [
        (["03/04/2010", "12/01/2011"], DateProfile.Order.ambiguous),
        (["03/04/2010", "13/01/2011"], .dayFirst),
        (["03/04/2010", "01/13/2011"], .monthFirst),
        (["13/04/2010", "01/13/2011"], .mixed),
        (["2010-03-04", "20110112"], .yearFirst),
    ])
    func theDateOrderIsReported(_ births: [String], _ order: DateProfile.Order) throws {
        let p = Self.profile(births.enumerated().map { Self.row(String($0), code: "P", birth: $1) })
        let dates = try #require(try Self.column(p, "birth_date").dates)
        #expect(dates.order == order)
    }

    @Test func eachCandidateFormatGetsItsShare() throws {
        let p = Self.profile([
            Self.row("1", code: "P", birth: "03/04/2010"), Self.row("2", code: "P", birth: "2010-05-06"),
            Self.row("3", code: "P", birth: "20100506"), Self.row("4", code: "P", birth: "soon"),
        ])
        let dates = try #require(try Self.column(p, "birth_date").dates)
        let share = Dictionary(uniqueKeysWithValues: dates.formats.map { ($0.format, $0.share) })
        #expect(
            share == ["YYYY-MM-DD": 0.25, "MM/DD/YYYY": 0.25, "M/D/YYYY": 0.25, "D/M/YYYY": 0.25, "YYYYMMDD": 0.25])
        #expect(dates.formats.filter(\.configured).map(\.format) == ["YYYY-MM-DD", "MM/DD/YYYY"])
        #expect(dates.unparsed == 1)
        #expect(dates.order == .ambiguous)
    }

    @Test func theConfigsFormatsAreTheConfiguredOnes() throws {
        var config = Self.config
        config.columns["birth_date"] = .init(formats: ["D/M/YYYY"])
        let p = Self.profile([Self.row("1", code: "P", birth: "31/12/2010")], config: config)
        let dates = try #require(try Self.column(p, "birth_date").dates)
        #expect(dates.formats.map(\.format) == ["D/M/YYYY", "YYYY-MM-DD", "M/D/YYYY", "YYYYMMDD"])
        #expect(dates.formats.map(\.configured) == [true, false, false, false])
        #expect(dates.formats[0].share == 1)
    }

    @Test func personKeyRepeatsAreCounted() throws {
        let p = Self.profile([
            Self.row("s1", code: "P", date: "2026-11-18"), Self.row("s1", code: "P", date: "2026-11-19"),
            Self.row("s1", code: "A", date: "2026-11-19"), Self.row("s2", code: "P"), Self.row("s3", code: "P"),
            Self.row("s3", code: "P", date: "2026-11-19"),
        ])
        let k = try #require(p.personKey)
        #expect(k.column == "student_id")
        #expect(k.distinct == 3 && k.repeatedKeys == 2 && k.rowsWithRepeatedKey == 5)
        #expect(k.rowsWithRepeatedKeyAndDate == 2)
        #expect(p.rowsPerDay.map(\.rows) == [1, 3, 2])
    }

    @Test func headerDriftNamesConfigColumnsAndPositionsOnly() throws {
        let header = [
            "Student ID", "first_name", "last_name", "birth_date", "Nickname", "attendance_date",
            "attendance_code",
        ]
        let p = Self.profile(
            [["1", "Quintessa", "Vandermeer", "2011-04-17", "Quin", "2026-11-20", "P"]], header: header)
        #expect(p.drift.undeclaredPositions == [5])
        let missing = p.drift.missing.map(\.name)
        #expect(missing.contains("school_id") && missing.contains("guardian_phone") && !missing.contains("student_id"))
        #expect(p.drift.missing.first { $0.name == "school_id" }?.required == true)
        let json = try Self.json(p)
        for output in [p.text, json] {
            #expect(!output.contains("Nickname") && !output.contains("Quin"))
            #expect(output.contains("school_id"))
        }
        #expect(p.text.contains("1 column(s) not in the config, at position(s) 5"))
    }

    @Test func aHeaderlessFileNeverEchoesItsFirstLine() throws {
        let first = ["400036", "Zebulon", "Okonkwo-Prieto", "2019-10-23", "102", "2026-08-17", "P"]
        let p = Self.profile([["400037", "Mila", "Halez", "2011-04-17", "102", "2026-08-17", "P"]], header: first)
        #expect(p.drift.undeclaredPositions == Array(1...7))
        #expect(p.drift.missing.contains { $0.name == "student_id" && $0.required })
        for output in [p.text, try Self.json(p)] {
            for value in first + ["Mila", "Halez", "400037", "2011-04-17"] where value != "P" && value != "102" {
                #expect(!output.contains(value), "\(value) leaked")
            }
        }
    }

    @Test func plantedPersonalValuesNeverAppear() throws {
        let planted = [
            "Quintessa", "Vandermeer", "Rosalind Okwell", "2011-04-17", "1999-02-28", "Bartholomew Smythe",
            "s-9041",
        ]
        var rows = (0..<40).map { Self.row("s-9041", code: "P", birth: $0 % 2 == 0 ? "2011-04-17" : "1999-02-28") }
        // A name shifted into the code column (a ragged export): long, with a space — described by its length.
        rows.append(Self.row("s-9041", code: "Bartholomew Smythe"))
        let p = Self.profile(rows)
        let json = try Self.json(p)
        for output in [p.text, json] {
            for value in planted { #expect(!output.contains(value), "\(value) leaked") }
        }
        #expect(p.text.contains("a value of 18 characters"))
        #expect(try Self.column(p, "first_name").codes == nil)
        #expect(try Self.column(p, "first_name").role == .personal)
    }

    @Test func undeclaredColumnsShowLengthsNotValues() throws {
        let header = Self.header + ["Extra"]
        let p = Self.profile(
            (0..<10).map { Self.row(String($0), code: "P") + [$0 % 2 == 0 ? "Mila" : "Ava"] }, header: header)
        let extra = try #require(p.columns.last)
        #expect(extra.role == .undeclared && extra.name == nil && extra.label == "column 9")
        #expect(Set(extra.codes?.map(\.display) ?? []) == ["a value of 4 characters", "a value of 3 characters"])
        #expect(!p.text.contains("Mila") && !p.text.contains("Ava"))
    }

    /// A new-user trial saw six lines of "a value of 2 characters" for one undeclared column: values not shown
    /// are counted once per length in the text, with how many distinct values it stands for.
    @Test func unshownValuesOfOneLengthAreOneLine() throws {
        let header = Self.header + ["Extra"]
        let extras = ["AB", "CD", "EF", "AB", "GHI"]
        let p = Self.profile(
            extras.enumerated().map { Self.row(String($0.offset), code: "P") + [$0.element] }, header: header)
        #expect(p.text.contains("3 values of 2 characters"), "\(p.text)")
        #expect(p.text.components(separatedBy: "of 2 characters").count == 2, "one line for length 2")
        #expect(p.text.contains("a value of 3 characters"))
        let line = try #require(p.text.split(separator: "\n").first { $0.contains("3 values of 2 characters") })
        #expect(line.hasSuffix(" 4"), "4 rows: \(line)")
    }

    /// Step 1 of onboarding profiles a new feed through the default layout (comma): a semicolon file showed as
    /// one column and every layout column missing, with no word of why. The profile names the delimiter.
    @Test func aHeaderOnAnotherDelimiterIsNamed() throws {
        let path = Scratch.csv(
            "Pupil Ref;Given Nm;Surname;Day;Mark\r\nCF-1;Orla;Brennick;16-11-2026;PR\r\n", name: "semicolon.csv")
        let p = try FeedProfiler.profile(
            InputLocation(path: path), config: SourceConfig.defaults(for: "school-attendance"),
            layout: SchoolAttendanceExtractor.defaultLayout)
        #expect(p.headerFields == 1)
        #expect(
            p.text.contains(
                "the header splits into 5 semicolon-separated fields: set csv.delimiter: semicolon in the source "
                    + "config (`lastmile source init` detects it)"), "\(p.text)")
        #expect(!p.text.contains("Pupil") && !p.text.contains("Orla"))
        let comma = try FeedProfiler.profile(
            InputLocation(path: Scratch.csv("student_id,first_name\nS1,Ana\n", name: "comma.csv")),
            config: SourceConfig.defaults(for: "school-attendance"), layout: SchoolAttendanceExtractor.defaultLayout)
        #expect(!comma.text.contains("the header splits"))
    }

    @Test func shortCodesAreShortAndPlain() {
        #expect(
            ShortCode.isShortCode("ED") && ShortCode.isShortCode("absent-excused") && ShortCode.isShortCode("v1.2_x"))
        #expect(!ShortCode.isShortCode("In Attendance"))
        #expect(!ShortCode.isShortCode("uri://ed-fi.org/X#Y"))
        #expect(!ShortCode.isShortCode("abcdefghijklmnopq"))
        #expect(!ShortCode.isShortCode("José"))
        #expect(!ShortCode.isShortCode(""))
        #expect(ShortCode.display("Mary Ann") == "a value of 8 characters")
    }

    @Test func rowCountIsComparedWithThePreviousFile() {
        var profiler = FeedProfiler(
            file: "b.csv", config: Self.config, layout: SchoolAttendanceExtractor.defaultLayout, header: Self.header)
        for i in 0..<5 { profiler.add(Self.row(String(i), code: "P")) }
        let p = profiler.finish(previous: (file: "a.csv", rows: 4))
        #expect(p.previous == PreviousFile(file: "a.csv", rows: 4, change: 1, changeRate: 0.25))
        #expect(p.text.contains("previous file a.csv: 4 rows (+1, +25.0%)"))
    }

    static func json(_ p: FeedProfile) throws -> String {
        String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
    }
}
