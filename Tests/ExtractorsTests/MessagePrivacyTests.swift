// Issue 12 item 2 and issue 13 item 6: no error message quotes a line that could be data (a headerless export,
// a header cell the config does not name), and a file over a reader limit is blamed on the limit it broke.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite(.timeLimit(.minutes(1))) struct MessagePrivacyTests {
    let school = SourceConfig.defaults(for: "school-attendance")
    /// One fake student: the values a headerless export would put on its first line.
    static let person = ["S1001", "Marisol", "Quintanilla", "2014-03-09", "ELM", "2026-11-17", "A"]

    func schoolError(_ text: String) -> InputError? {
        let path = Scratch.csv(text)
        return inputError { _ = try extract(school, path) }
    }

    func expectNoValue(
        _ error: InputError?, _ values: [String] = person, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let text = error.map { "\($0)" } ?? ""
        for value in values where value.count > 1 {
            #expect(!text.contains(value), "\(text) quotes \(value)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [("\t", "tab"), (";", "semicolon"), ("|", "pipe")])
    func aHeaderlessFileNamesItsDelimiterAndFieldCountButNoValue(delimiter: String, name: String) throws {
        let line = Self.person.joined(separator: delimiter)
        let error = try #require(schoolError(line + "\n" + line + "\n"))
        #expect(error.code == "missing-columns")
        expectNoValue(error)
        let text = "\(error)"
        #expect(text.contains("7 \(name)-separated fields"), "\(text)")
        // What was expected: the config's column names (config, not data) and the delimiter setting.
        #expect(text.contains("student_id") && text.contains("attendance_code"), "\(text)")
        #expect(text.contains("csv.delimiter"), "\(text)")
    }

    @Test func aCommaInsideATabSeparatedLineDoesNotHideTheTabs() throws {
        let line = ["S1001", "Quintanilla, Marisol", "2014-03-09", "ELM"].joined(separator: "\t")
        let error = try #require(schoolError(line + "\n"))
        expectNoValue(error, ["S1001", "Quintanilla", "Marisol", "2014-03-09"])
        #expect("\(error)".contains("4 tab-separated fields"), "\(error)")
    }

    @Test func aFixedWidthLineSaysNoDelimiterWasFound() throws {
        let error = try #require(schoolError("S1001  Marisol   Quintanilla 20140309 ELM\n"))
        expectNoValue(error, ["S1001", "Marisol", "Quintanilla", "20140309"])
        #expect("\(error)".contains("1 field"), "\(error)")
        #expect("\(error)".contains("no comma, tab, semicolon or pipe"), "\(error)")
    }

    @Test func aHeaderWithSomeExpectedColumnsEchoesOnlyTheConfiguredNames() throws {
        // The first line has two expected names, then a person's values: only the configured names may appear.
        let error = try #require(schoolError("student_id,school_id,Marisol Quintanilla,2014-03-09\nS1,ELM,x,y\n"))
        expectNoValue(error, ["Marisol", "Quintanilla", "2014-03-09"])
        let text = "\(error)"
        #expect(text.contains("4 comma-separated fields"), "\(text)")
        #expect(text.contains("student_id") && text.contains("first_name"), "\(text)")
    }

    @Test func theCanonicalPersonReaderDoesNotEchoAHeaderlessLine() throws {
        let values = ["P1", "Marisol", "Quintanilla", "2014-03-09", "F", "12 Oak St", "Riverside"]
        let path = Scratch.csv(values.joined(separator: "|") + "\n")
        let error = try #require(inputError { _ = try CanonicalPersonReader(path: path) })
        expectNoValue(error, values)
        #expect("\(error)".contains("7 pipe-separated fields"), "\(error)")
    }

    @Test func anUndeclaredColumnIsNamedByPositionNotByItsHeaderText() throws {
        // A header cell the layout does not name could be a value; a row with bad bytes there names its position.
        var bytes = Array(
            "student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code,Quintanilla\n".utf8)
        bytes += Array("S1,Ana,Lee,2015-01-01,ELM,2026-11-17,A,".utf8) + [0xFF, 0x0A]
        let sink = try extract(school, Scratch.bytes(bytes))
        let rejection = try #require(sink.rejections.first)
        #expect(rejection.code == "invalid-encoding")
        #expect(!"\(rejection)".contains("Quintanilla"), "\(rejection)")
        #expect("\(rejection)".contains("column 8"), "\(rejection)")
    }

    @Test func aMillionColumnHeaderIsBlamedOnTheFieldCountNotOnAQuote() throws {
        let header = (0..<1_000_000).map { "c\($0)" }.joined(separator: ",")
        let error = try #require(inputError { _ = try CSVReader(path: Scratch.csv(header + "\n1,2\n")) })
        let text = "\(error)"
        #expect(error.code == "too-many-fields", "\(text)")
        #expect(!text.contains("quote"), "\(text)")
        #expect(text.contains("header") && text.contains("10000 fields"), "\(text)")
    }

    @Test func aDataRowWithTooManyFieldsStopsTheFileAfterTheGoodRows() throws {
        let wide = String(repeating: ",", count: 20_000)
        let reader = try CSVReader(path: Scratch.csv("a,b\n1,2\n3\(wide)\n5,6\n"))
        #expect(try reader.nextRow()?.line == 2)
        let error = try #require(inputError { _ = try reader.nextRow() })
        #expect(error.code == "too-many-fields")
        #expect("\(error)".contains(":3:"), "\(error)")
    }

    @Test func aHeaderOfLongFieldsIsBlamedOnTheRowLengthNotOnAQuote() throws {
        let cell = String(repeating: "h", count: 900 * 1024)
        let header = (0..<6).map { "\(cell)\($0)" }.joined(separator: ",")
        let error = try #require(inputError { _ = try CSVReader(path: Scratch.csv(header + "\n")) })
        let text = "\(error)"
        #expect(error.code == "row-too-long", "\(text)")
        #expect(!text.contains("quote") && !text.contains("hhhh"), "\(text)")
        #expect(text.contains("header") && text.contains("\(4 << 20) bytes"), "\(text)")
    }

    @Test func aLongUnquotedFieldIsNotBlamedOnAQuote() throws {
        let big = String(repeating: "x", count: 2 << 20)
        let error = try #require(inputError { try readEveryRow(Scratch.csv("a,b\n1,\(big)\n")) })
        #expect(error.code == "field-too-long")
        #expect(!"\(error)".contains("quote"), "\(error)")
        #expect("\(error)".contains("\(1 << 20) bytes"), "\(error)")
    }

    @Test func aQuoteNeverClosedIsStillNamedAsSuch() throws {
        let big = String(repeating: "x", count: 2 << 20)
        let error = try #require(inputError { try readEveryRow(Scratch.csv("a,b\n1,\"\(big)\n")) })
        #expect(error.code == "field-too-long")
        #expect("\(error)".contains("never closed"), "\(error)")
    }

    func readEveryRow(_ path: String) throws {
        let reader = try CSVReader(path: path)
        while try reader.nextRow() != nil {}
    }
}
