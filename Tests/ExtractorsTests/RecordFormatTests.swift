// Formats counties send, told from the bytes: XLSX, JSON lines and arrays, fixed width, UTF-16 text; and the
// formats refused with "this looks like X; export it as CSV".
import Foundation
import LastMileCore
import TestSupport
import Testing

@testable import Extractors

@Suite struct RecordFormatTests {
    static let jailYAML = """
        source: county-jail
        extractor: jail-bookings
        category: justice
        agreement: county-jail-dsa
        """

    func config(_ yaml: String) throws -> SourceConfig {
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "test.yaml")
        #expect(problems.isEmpty, "\(problems)")
        var config = try #require(parsed)
        // These rosters carry no release column: a jail feed must say so (the column is otherwise required).
        if config.extractor == "jail-bookings", config.columns["release_datetime"] == nil {
            config.columns["release_datetime"] = .init(required: false)
        }
        #expect(config.validate().isEmpty, "\(config.validate())")
        return config
    }

    // MARK: XLSX

    @Test func anXLSXSheetIsReadWithSharedStringsAndSerialDates() throws {
        let url = Scratch.root.appendingPathComponent("roster-\(UUID().uuidString).csv")  // the name lies
        try XLSXWriter.write(
            [
                XLSXWriter.Sheet(name: "Notes", rows: [[.text("not this one")]]),
                XLSXWriter.Sheet(
                    name: "Bookings",
                    rows: [
                        [.text("County Jail roster, week 47")],
                        [
                            .text("Booking_Number"), .text("Last_Name"), .text("First_Name"), .text("Birth_Date"),
                            .text("Booking_DateTime"), .text("Juvenile"),
                        ],
                        // 2026-11-20 08:30 is serial 46346.354166…; 1990-05-04 is 32997.
                        [
                            .number(2_026_001), .text("Doe"), .inline("Jan"), .date(32997), .dateTime(46346.3541666667),
                            .bool(false),
                        ],
                        [.text("B-2"), .text("Roe"), .text("Ann"), .number(32997), .text("2026-11-21 09:00"), .empty],
                        [.text("B-3"), .text("Poe"), .text("Al"), .text("sometime"), .dateTime(46346.5), .empty],
                    ]),
            ], to: url)
        var config = try config(Self.jailYAML + "\nheader_line: 2\nxlsx: { sheet: bookings }\n")
        config.columns["birth_date"] = .init(formats: ["MM/DD/YYYY"])
        let sink = try extract(config, url.path)
        #expect(sink.records.count == 2)
        let first = try #require(sink.records.first)
        #expect(first.recordId == "2026001" && first.person.givenName == "Jan")
        #expect(first.person.birthDate == CivilDate(year: 1990, month: 5, day: 4))
        #expect(first.provenance.line == 3)
        guard case .booking(let booking) = first.event else {
            Issue.record("not a booking")
            return
        }
        #expect(
            booking.bookedAt
                == CivilDateTime(date: try #require(CivilDate(year: 2026, month: 11, day: 20)), hour: 8, minute: 30))
        // A number in a date column without a date style is a serial too.
        #expect(sink.records[1].person.birthDate == CivilDate(year: 1990, month: 5, day: 4))
        #expect(
            sink.rejections.map(\.description) == [
                #"\#(url.lastPathComponent):5, column "birth_date": not a date in MM/DD/YYYY"#
            ])
    }

    @Test func aMissingSheetAndAMissingHeaderAreNamedForTheWorkbook() throws {
        let url = Scratch.root.appendingPathComponent("book-\(UUID().uuidString).xlsx")
        try XLSXWriter.write([XLSXWriter.Sheet(name: "Sheet1", rows: [[.text("Title only")], [.text("x")]])], to: url)
        let named = inputError { _ = try extract(try config(Self.jailYAML + "\nxlsx: { sheet: Roster }\n"), url.path) }
        #expect(
            named?.description.hasSuffix(
                #"not a readable XLSX workbook: no sheet named "Roster" (xlsx.sheet); it has 1 sheet"#) == true,
            "\(String(describing: named))")
        let missing = inputError { _ = try extract(try config(Self.jailYAML), url.path) }
        #expect(missing?.code == "missing-columns")
        #expect(missing?.description.contains("1 cell (an XLSX sheet's header row)") == true)
        #expect(missing?.description.contains("header_line:") == true, "\(String(describing: missing))")
        #expect(missing?.description.contains("Title") == false)
    }

    /// A new-user trial: with `header_line: 3`, a missing column was reported at line 1, "the first line",
    /// which is the export's title. The message names the header's own line (and sheet row).
    @Test func aMissingColumnIsReportedAtTheHeadersLine() throws {
        let yaml = Self.jailYAML + "\nheader_line: 3\ncsv: { delimiter: semicolon }\n"
        let path = Scratch.csv(
            "County roster export\r\nRun 2026-11-17\r\nBooking No;Last;First\r\nB1;Doe;Jo\r\n", name: "roster.csv")
        let csv = inputError { _ = try extract(try config(yaml), path) }
        #expect(csv?.code == "missing-columns")
        #expect(csv?.description.hasPrefix("roster.csv:3: ") == true, "\(String(describing: csv))")
        #expect(csv?.description.contains("the header (line 3) has 3 semicolon-separated fields") == true)

        let url = Scratch.root.appendingPathComponent("book-\(UUID().uuidString).xlsx")
        let rows: [[XLSXWriter.Cell]] = [[.text("Roster")], [], [.text("Booking No"), .text("Last")], [.text("B1")]]
        try XLSXWriter.write([XLSXWriter.Sheet(name: "Sheet1", rows: rows)], to: url)
        let book = inputError { _ = try extract(try config(Self.jailYAML + "\nheader_line: 3\n"), url.path) }
        #expect(book?.description.contains(".xlsx:3: ") == true, "\(String(describing: book))")
    }

    @Test func excelSerialsFollowTheWorkbooksDateSystem() {
        #expect(ExcelSerialDate.dateTime(1, date1904: false)?.date == CivilDate(year: 1900, month: 1, day: 1))
        #expect(ExcelSerialDate.dateTime(59, date1904: false)?.date == CivilDate(year: 1900, month: 2, day: 28))
        #expect(ExcelSerialDate.dateTime(60, date1904: false) == nil)  // Lotus's 29 February 1900
        #expect(ExcelSerialDate.dateTime(61, date1904: false)?.date == CivilDate(year: 1900, month: 3, day: 1))
        #expect(ExcelSerialDate.dateTime(46346, date1904: false)?.date == CivilDate(year: 2026, month: 11, day: 20))
        #expect(ExcelSerialDate.dateTime(44884, date1904: true)?.date == CivilDate(year: 2026, month: 11, day: 20))
        #expect(ExcelSerialDate.dateTime(0.5, date1904: false) == nil)
        #expect(StylesParser.dateFormat(164, "[$-409]m/d/yy\\ h:mm;@") == true)
        #expect(StylesParser.dateFormat(165, "0.00\" days\"") == nil)
        #expect(StylesParser.dateFormat(166, "yyyy-mm-dd") == false)
    }

    // MARK: JSON

    @Test func jsonLinesAreReadByFieldPath() throws {
        let text = """
            {"booking": {"number": "B-1", "at": "2026-11-20 08:30"}, "name": {"last": "Doe", "first": "Jan"}, "dob": "1990-05-04", "charges": ["a", "b"], "juvenile": false}

            {"booking": {"number": "B-2", "at": "2026-11-20 09:30"}, "name": {"last": "Roe", "first": "Ann"}, "dob": null}
            not json
            {"booking": {"number": 3, "at": "2026-11-20T10:00"}, "name": {"last": "Poe", "first": "Al"}, "dob": "1990-05-04", "extra": 1.5}
            """
        let config = try config(
            Self.jailYAML + """

                columns:
                  booking_number: booking.number
                  booking_datetime: booking.at
                  last_name: name.last
                  first_name: name.first
                  birth_date: dob
                """)
        let sink = try extract(config, Scratch.csv(text, name: "bookings.csv"))
        #expect(sink.records.map(\.recordId) == ["B-1", "3"])
        #expect(sink.records.map(\.provenance.line) == [1, 5])
        guard case .booking(let booking) = sink.records[0].event else {
            Issue.record("not a booking")
            return
        }
        #expect(booking.chargeCount == 2)
        #expect(
            sink.rejections.map(\.description) == [
                #"bookings.csv:3, column "dob": a value is required"#, "bookings.csv:4: expected one JSON object",
            ])
    }

    @Test func anEdFiArrayIsReadWithNestedReferences() throws {
        let text = """
            [
              {
                "id": "a1",
                "studentReference": {"studentUniqueId": "604822"},
                "schoolReference": {"schoolId": 255901001},
                "eventDate": "2026-11-20",
                "attendanceEventCategoryDescriptor": "uri://ed-fi.org/AttendanceEventCategoryDescriptor#In Attendance"
              },
              {
                "id": "a2", "studentReference": {"studentUniqueId": "604823"},
                "schoolReference": {"schoolId": 255901001}, "eventDate": "2026-11-20",
                "attendanceEventCategoryDescriptor": "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy"
              }
            ]
            """
        let config = try config(
            """
            source: edfi-ods
            extractor: school-attendance
            category: education
            agreement: edfi-dsa
            layout: edfi
            columns:
              student_id: studentReference.studentUniqueId
              school_id: schoolReference.schoolId
              first_name: { required: false }
              last_name: { required: false }
              birth_date: { required: false }
            """)
        let sink = try extract(config, Scratch.csv(text, name: "studentSchoolAttendanceEvents"))
        #expect(sink.rejections.isEmpty, "\(sink.rejections)")
        #expect(sink.records.map(\.recordId) == ["604822|2026-11-20", "604823|2026-11-20"])
        #expect(sink.records.map(\.provenance.line) == [2, 9])
        guard case .attendance(let day) = sink.records[1].event else {
            Issue.record("not attendance")
            return
        }
        #expect(day.status == .tardy && day.schoolId == "255901001")
    }

    @Test func jsonWithoutTheConfiguredPathsSaysToNameThemNotToAddAHeader() throws {
        let text = #"{"booking": {"number": "B-1"}, "who": "Jan Doe"}"# + "\n"
        let error = inputError { _ = try extract(try config(Self.jailYAML), Scratch.csv(text)) }
        let message = error?.description ?? ""
        #expect(error?.code == "missing-columns")
        #expect(
            message.contains("2 field paths (json lines)") && message.contains("name each column by its field path"))
        #expect(!message.contains("header row") && !message.contains("Jan Doe"), "\(message)")
    }

    @Test func anUnclosedJSONArrayIsRefusedWithItsLine() throws {
        let error = inputError { _ = try extract(try config(Self.jailYAML), Scratch.csv("[\n{\"a\": \"x\n")) }
        #expect(
            error?.description == #"input.csv:3: not a readable JSON array: the array is not closed (a missing ] or ")"#
        )
    }

    // MARK: Fixed width and UTF-16

    @Test func aFixedWidthFileIsReadByPosition() throws {
        var config = try config(
            Self.jailYAML + """

                csv: { encoding: windows-1252 }
                fixed_width:
                  skip_lines: 1
                  fields:
                    booking_number: { start: 1, width: 6 }
                    last_name: { start: 7, width: 8 }
                    first_name: { start: 15, width: 6 }
                    birth_date: { start: 21, width: 8 }
                    booking_datetime: { start: 29, width: 16 }
                """)
        config.columns["birth_date"] = .init(formats: ["YYYYMMDD"])
        var bytes = Array("BOOKNOLAST    FIRST DOB     BOOKED\r\n".utf8)
        bytes += Array("B-1   N".utf8) + [0xFA, 0xF1] + Array("ez   Jan   199005042026-11-20 08:30\r\n".utf8)
        bytes += Array("B-2   Roe     Ann   19900504\r\n".utf8)
        let sink = try extract(config, Scratch.bytes(bytes, name: "roster.txt"))
        #expect(sink.records.count == 1)
        #expect(sink.records.first?.person.familyName == "Núñez" && sink.records.first?.provenance.line == 2)
        #expect(
            sink.rejections.map(\.description) == [#"roster.txt:3, column "booking_datetime": a value is required"#])
    }

    @Test func utf16TextWithAByteOrderMarkIsReadAsTabSeparatedCSV() throws {
        let text =
            "booking_number\tlast_name\tfirst_name\tbirth_date\tbooking_datetime\r\nB-1\tNúñez\tJan\t1990-05-04\t2026-11-20 08:30\r\n"
        for bigEndian in [false, true] {
            var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
            for unit in text.utf16 {
                bytes += bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            }
            let sink = try extract(try config(Self.jailYAML + "\ncsv: { delimiter: tab }\n"), Scratch.bytes(bytes))
            #expect(sink.records.first?.person.familyName == "Núñez" && sink.records.first?.provenance.line == 2)
        }
    }

    // MARK: Refused formats

    @Test(arguments: [
        (Array("%PDF-1.7\n".utf8), "a PDF document"),
        ([0x1F, 0x8B, 8, 0, 0, 0], "a gzip-compressed file"),
        (
            [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "an Excel 97-2003 workbook (XLS) or another OLE document"
        ),
        (
            Array("<html><table><tr><td>x</td></tr></table></html>".utf8),
            "an HTML page (a web page saved with a spreadsheet's name)"
        ),
        (Array("a\0b\0c\0d\0e\0f\0".utf8), "UTF-16 text without a byte-order mark"),
    ])
    func otherFormatsAreNamedAndRefused(_ bytes: [UInt8], _ looksLike: String) throws {
        let error = inputError { _ = try extract(try config(Self.jailYAML), Scratch.bytes(bytes, name: "roster.csv")) }
        #expect(error?.problem == .unsupportedFormat(looksLike: looksLike))
        #expect(error?.exitStatus == .dataError)
        #expect(
            error?.description
                == "roster.csv: this looks like \(looksLike); lastmile reads CSV (or XLSX, JSON, fixed width): export it as CSV"
        )
    }

    @Test func aZIPThatIsNotAWorkbookIsNamed() throws {
        let url = Scratch.root.appendingPathComponent("export-\(UUID().uuidString).xlsx")
        try XLSXWriter.zip(["roster.csv": "a,b\n1,2\n"], to: url)
        let error = inputError { _ = try extract(try config(Self.jailYAML), url.path) }
        #expect(error?.problem == .unsupportedFormat(looksLike: "a ZIP archive that is not an XLSX workbook"))
    }
}

@Suite struct ProfileFormatTests {
    @Test func aWorkbookWithATitleRowIsProfiledAsTheConfigReadsIt() throws {
        let url = Scratch.root.appendingPathComponent("attendance-\(UUID().uuidString).xlsx")
        try XLSXWriter.write(
            [
                XLSXWriter.Sheet(
                    name: "Export",
                    rows: [
                        [.text("Attendance, week 47")],
                        ["student_id", "first_name", "last_name", "birth_date", "school_id", "attendance_date", "code"]
                            .map { .text($0) },
                        [.text("S1"), .text("A"), .text("B"), .date(40000), .text("102"), .date(46346), .text("P")],
                        [.text("S2"), .text("C"), .text("D"), .date(40000), .text("102"), .date(46346), .text("A")],
                    ])
            ], to: url)
        var config = SourceConfig(name: "riverside-usd", extractor: "school-attendance")
        config.reading.headerLine = 2
        config.reading.transforms = [
            .map(column: "code", values: ["P": "P"], rejectUnmapped: true, into: "attendance_code")
        ]
        let profile = try FeedProfiler.profile(
            InputLocation(path: url.path), config: config, layout: SchoolAttendanceExtractor.defaultLayout)
        #expect(profile.rows == 2)
        #expect(profile.unreadableRows == 1)
    }
}

@Suite struct HostileWorkbookTests {
    static let yaml = """
        source: county-jail
        extractor: jail-bookings
        category: justice
        agreement: county-jail-dsa
        """

    @Test func anExternalEntityIsNeverFetched() throws {
        let secret = Scratch.csv("TOPSECRET-\(UUID().uuidString)", name: "secret.txt")
        let strings = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE sst [<!ENTITY x SYSTEM "file://\(secret)">]>
            <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>booking_number</t></si>\
            <si><t>n</t></si><si><t>&x;</t></si></sst>
            """
        let url = Scratch.root.appendingPathComponent("hostile-\(UUID().uuidString).xlsx")
        try XLSXWriter.write(
            [XLSXWriter.Sheet(name: "S", rows: [[.text("booking_number"), .text("n")], [.text("x"), .number(1)]])],
            to: url,
            replacing: ["xl/sharedStrings.xml": strings])
        var seen = ""
        do {
            let source = try XLSXSource(InputLocation(path: url.path), sheet: nil, headerLine: 1)
            while let row = try source.nextRow() { seen += row.allFields.joined(separator: ",") }
        } catch {
            seen = "\(error)"
        }
        #expect(!seen.isEmpty)
        #expect(!seen.contains("TOPSECRET"), "\(seen)")
    }

    @Test func aDamagedArchiveIsMalformedNotACrash() throws {
        var bytes: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        bytes += Array(repeating: 0x41, count: 200)
        let (parsed, _) = SourceConfig.parse(yaml: Self.yaml, file: "county-jail.yaml")
        let error = inputError { _ = try extract(try #require(parsed), Scratch.bytes(bytes, name: "r.xlsx")) }
        #expect(error?.exitStatus == .dataError)
        #expect(error?.code == "unsupported-format" || error?.code == "malformed", "\(String(describing: error))")
    }
}
