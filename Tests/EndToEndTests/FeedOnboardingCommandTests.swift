// Issue 17, items 3 and 4, through the built binary: the five feed shapes an outsider needed Python for are
// onboarded with a source config alone (`lastmile extract --source NAME`), and a file of another format is
// named and refused (65). Every input is synthetic and written by the test itself.
import Foundation
import TestSupport
import Testing

@Suite struct FeedOnboardingCommandTests {
    /// A pipelines folder holding one source config, and a folder for the feed's files.
    final class Workspace {
        let directory: TemporaryDirectory
        var root: URL { directory.url }

        init(source: String, yaml: String) throws {
            directory = try TemporaryDirectory()
            let sources = directory.url.appendingPathComponent("pipelines/sources")
            try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
            try yaml.write(to: sources.appendingPathComponent("\(source).yaml"), atomically: true, encoding: .utf8)
        }

        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = root.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }

        /// `lastmile extract --source NAME FILE --format jsonl --show-personal-data`: records and summary.
        func extract(_ source: String, _ path: String) throws -> (records: [[String: Any]], result: CommandResult) {
            let result = try LastMileBinary.run(
                [
                    "extract", "--source", source, "--pipelines", "pipelines", "--format", "jsonl",
                    "--show-personal-data", path,
                ], in: root)
            let records = result.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return (records, result)
        }
    }

    static func person(_ record: [String: Any], _ key: String) -> String? {
        (record["person"] as? [String: Any])?[key] as? String
    }

    /// Windows-1252 bytes of `text` (only Latin-1 letters are used here, which are the same code points).
    static func cp1252(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }

    @Test func aPowerSchoolStyleExportWithSemicolonsCRLFAndWindows1252() throws {
        let workspace = try Workspace(
            source: "lakeside-usd",
            yaml: """
                source: lakeside-usd
                extractor: school-attendance
                category: education
                agreement: lakeside-usd-dsa-2026
                csv: { delimiter: semicolon, encoding: windows-1252 }
                columns:
                  student_id: studentid
                  birth_date: { header: dob, formats: ["M-D-YYYY"] }
                  school_id: schoolid
                  attendance_date: { header: att_date, formats: ["M-D-YYYY"] }
                  attendance_code: att_code
                codes:
                  attendance_code: { AU: absent-unexcused, AE: absent-excused }
                """)
        let text =
            "studentid;first_name;last_name;dob;schoolid;att_date;att_code\r\n"
            + "1001;Zoë;Nuñez;3-9-2014;120;11-20-2026;P\r\n" + "1002;Sam;Ode;12-1-2013;120;11-20-2026;AU\r\n"
            + "1003;Ida;Ode;12-1-2013;120;2026-11-20;AE\r\n"
        let path = try workspace.file("ps_attendance.csv", Self.cp1252(text))
        let (records, result) = try workspace.extract("lakeside-usd", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(records.count == 2)
        #expect(Self.person(records[0], "given_name") == "Zoë" && Self.person(records[0], "family_name") == "Nuñez")
        #expect(Self.person(records[0], "birth_date") == "2014-03-09")
        #expect(records.map { $0["when"] as? String } == ["2026-11-20", "2026-11-20"])
        #expect(result.stderr.contains(#"ps_attendance.csv:4, column "att_date": not a date in M-D-YYYY"#))
    }

    @Test func anInfiniteCampusStyleExportWithATitleLineAndDistrictCodes() throws {
        let workspace = try Workspace(
            source: "riverbend-usd",
            yaml: """
                source: riverbend-usd
                extractor: school-attendance
                category: education
                agreement: riverbend-usd-dsa-2026
                header_line: 2
                columns:
                  student_id: studentNumber
                  first_name: firstName
                  last_name: lastName
                  birth_date: birthdate
                  attendance_date: date
                transforms:
                  - map:
                      column: calendarID
                      values: { "2627-0412": RHS, "2627-0415": RMS }
                      unmapped: reject
                      into: school_id
                  - concat: { columns: [status, excuse], separator: "", into: attendance_code }
                codes:
                  attendance_code: { AU: absent-unexcused, AE: absent-excused, AX: absent-excused }
                """)
        let text = """
            "Attendance Extract, Riverbend Unified, run 11/20/2026 06:00
            personID,studentNumber,lastName,firstName,birthdate,calendarID,date,status,excuse
            9001,S-1,Lee,Kim,04/05/2014,2627-0412,11/20/2026,P,
            9002,S-2,Diaz,Rae,06/07/2013,2627-0415,11/20/2026,A,U
            9003,S-3,Diaz,Lu,06/07/2013,2627-0999,11/20/2026,A,E

            """
        let path = try workspace.file("ic_attendance.csv", Array(text.utf8))
        let (records, result) = try workspace.extract("riverbend-usd", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(records.map { $0["line"] as? Int } == [3, 4])
        #expect(records.map { $0["detail"] as? String } == ["school RHS present", "school RMS absent-unexcused"])
        #expect(result.stderr.contains(#"ic_attendance.csv:5, column "calendarID": unknown code; expected one of"#))
        #expect(!result.stderr.contains("2627-0999"), "a value found is never echoed")
    }

    @Test func aShelterRosterWithLastCommaFirst() throws {
        let workspace = try Workspace(
            source: "harbor-shelter",
            yaml: """
                source: harbor-shelter
                extractor: shelter-roster
                category: shelter
                agreement: harbor-shelter-dsa-2026
                columns:
                  birth_date: { header: DOB, formats: ["M/D/YYYY"] }
                  entry_date: { header: Check In, formats: ["M/D/YYYY"] }
                  exit_date: { header: Check Out, formats: ["M/D/YYYY"] }
                  shelter_id: Site
                transforms:
                  - split: { column: Guest Name, separator: ",", into: [last_name, first_name] }
                """)
        let text = """
            Guest Name,DOB,Check In,Check Out,Site
            "Doe, Jan",5/4/1990,11/1/2026,11/9/2026,HARBOR-MAIN
            "Roe,Ann",6/7/1985,11/12/2026,,HARBOR-MAIN

            """
        let path = try workspace.file("harbor-roster.csv", Array(text.utf8))
        let (records, result) = try workspace.extract("harbor-shelter", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(records.map { $0["event"] as? String } == ["shelter-stay", "shelter-stay"])
        #expect(records.map { $0["when"] as? String } == ["2026-11-01..2026-11-09", "2026-11-12.."])
        #expect(
            records.map { $0["detail"] as? String } == ["project HARBOR-MAIN type 0", "project HARBOR-MAIN type 0"])
        #expect(Self.person(records[1], "family_name") == "Roe" && Self.person(records[1], "given_name") == "Ann")
    }

    static let jailYAML = """
        source: county-jail
        extractor: jail-bookings
        category: justice
        agreement: county-jail-dsa-2026
        columns:
          booking_number: BookingNo
          last_name: LastName
          first_name: FirstName
          birth_date: { header: DOB, formats: ["YYYYMMDD", "YYYY-MM-DD"] }
          booking_datetime: { header: Booked, formats: ["YYYYMMDDHHmm", "YYYY-MM-DDTHH:mm:ss"] }
          release_datetime: { header: Released, formats: ["YYYYMMDDHHmm", "YYYY-MM-DDTHH:mm:ss"] }
        fixed_width:
          skip_lines: 1
          fields:
            BookingNo: { start: 1, width: 8 }
            LastName: { start: 9, width: 10 }
            FirstName: { start: 19, width: 8 }
            DOB: { start: 27, width: 8 }
            Booked: { start: 35, width: 12 }
            Released: { start: 47, width: 12 }
        """

    /// The three shapes of one jail's roster give the same bookings.
    static let expectedBookings: [(String, String, String)] = [
        ("J-100", "2026-11-20 08:30:00", "Doe"), ("J-101", "2026-11-20 22:05:00", "Roe"),
    ]

    func checkJail(_ path: String, _ workspace: Workspace, line: [Int]) throws {
        let (records, result) = try workspace.extract("county-jail", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(records.map { $0["record_id"] as? String } == Self.expectedBookings.map(\.0))
        #expect(records.map { $0["when"] as? String } == Self.expectedBookings.map(\.1))
        #expect(records.map { Self.person($0, "family_name") } == Self.expectedBookings.map(\.2))
        #expect(records.map { Self.person($0, "birth_date") } == ["1990-05-04", "1985-06-07"])
        #expect(records.map { $0["line"] as? Int } == line)
        #expect(records.first?["detail"] as? String == "released 2026-11-21 10:00:00")
    }

    @Test func aJailRosterAsXLSX() throws {
        let workspace = try Workspace(source: "county-jail", yaml: Self.jailYAML)
        let url = workspace.root.appendingPathComponent("roster.xlsx")
        try XLSXWriter.write(
            [
                XLSXWriter.Sheet(
                    name: "Roster",
                    rows: [
                        ["BookingNo", "LastName", "FirstName", "DOB", "Booked", "Released"].map { .text($0) },
                        [
                            .text("J-100"), .text("Doe"), .text("Jan"), .date(32997), .dateTime(46346.3541666667),
                            .dateTime(46347.4166666667),
                        ],
                        [
                            .text("J-101"), .text("Roe"), .inline("Ann"), .date(31205), .dateTime(46346.9201388889),
                            .empty,
                        ],
                    ])
            ], to: url)
        try checkJail(url.path, workspace, line: [2, 3])
    }

    @Test func aJailRosterAsJSONLines() throws {
        let workspace = try Workspace(source: "county-jail", yaml: Self.jailYAML)
        let text = """
            {"BookingNo": "J-100", "LastName": "Doe", "FirstName": "Jan", "DOB": "1990-05-04", "Booked": "2026-11-20T08:30:00", "Released": "2026-11-21T10:00:00"}
            {"BookingNo": "J-101", "LastName": "Roe", "FirstName": "Ann", "DOB": "1985-06-07", "Booked": "2026-11-20T22:05:00", "Released": null}

            """
        try checkJail(try workspace.file("roster.jsonl", Array(text.utf8)), workspace, line: [1, 2])
    }

    @Test func aJailRosterAsFixedWidth() throws {
        let workspace = try Workspace(source: "county-jail", yaml: Self.jailYAML)
        let text =
            "BOOKNO  LAST      FIRST   DOB     BOOKED      RELEASED    \r\n"
            + "J-100   Doe       Jan     19900504202611200830202611211000\r\n"
            + "J-101   Roe       Ann     19850607202611202205            \r\n"
        try checkJail(try workspace.file("ROSTER.TXT", Array(text.utf8)), workspace, line: [2, 3])
    }

    @Test func aHousingListWithoutARecordTypeColumn() throws {
        let workspace = try Workspace(
            source: "county-bnl",
            yaml: """
                source: county-bnl
                extractor: housing-registry
                category: housing
                agreement: county-bnl-dsa-2026
                columns:
                  record_id: HMIS ID
                  first_name: First
                  last_name: Last
                  birth_date: DOB
                  status: Status
                  status_date: As Of
                transforms:
                  - constant: { into: record_type, value: by-name-list }
                """)
        let text = """
            HMIS ID,First,Last,DOB,Status,As Of
            B-1,Jan,Doe,1990-05-04,active,2026-11-20
            B-2,Ann,Roe,06/07/1985,housed,2026-11-19

            """
        let (records, result) = try workspace.extract("county-bnl", try workspace.file("bnl.csv", Array(text.utf8)))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(records.map { $0["detail"] as? String } == ["by-name-list active", "by-name-list housed"])
    }

    @Test func anotherFormatIsNamedAndRefusedAndABadTransformIsAConfigError() throws {
        let workspace = try Workspace(source: "county-jail", yaml: Self.jailYAML)
        let pdf = try workspace.file("roster.csv", Array("%PDF-1.7\n%âãÏÓ\n".utf8))
        let (_, refused) = try workspace.extract("county-jail", pdf)
        #expect(refused.status == 65)
        #expect(
            refused.stderr.contains(
                "lastmile: roster.csv: this looks like a PDF document; lastmile reads CSV (or XLSX, JSON, fixed width): "
                    + "export it as CSV"), "\(refused.stderr)")

        let bad = try Workspace(
            source: "county-bnl",
            yaml: """
                source: county-bnl
                extractor: housing-registry
                category: housing
                agreement: county-bnl-dsa-2026
                transforms:
                  - split: { column: Name, into: [last_name] }
                """)
        let (_, config) = try bad.extract("county-bnl", try bad.file("bnl.csv", Array("a\n".utf8)))
        #expect(config.status == 78)
        #expect(
            config.stderr.contains(
                "pipelines/sources/county-bnl.yaml:6:34: transforms[0].split.into: expected two field names"),
            "\(config.stderr)")
    }
}
