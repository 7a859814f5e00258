// Proves that each malformed input gives its documented outcome (docs/adding-a-source.md, "When a file is
// refused") — a row rejection or an InputError — never a crash or a hang, and that no message quotes a value.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite(.timeLimit(.minutes(1))) struct MalformedInputTests {
    let school = SourceConfig.defaults(for: "school-attendance")

    func run(_ name: String, _ config: SourceConfig? = nil) -> (sink: CollectingSink?, error: InputError?) {
        do {
            return (try extract(config ?? school, Fixtures.path("malformed/\(name)")), nil)
        } catch let error as InputError {
            return (nil, error)
        } catch {
            Issue.record("unexpected \(error)")
            return (nil, nil)
        }
    }

    @Test func truncatedQuoteRejectsTheRowItOpensOn() {
        let (sink, _) = run("truncated-quote.csv")
        #expect(sink?.records.count == 1)
        #expect(sink?.rejections.map(\.code) == ["unterminated-quote"])
        #expect(sink?.rejections.first?.line == 3)
    }

    @Test func raggedRowsAreRejectedAndTrailingEmptyFieldsTolerated() {
        let (sink, _) = run("ragged.csv")
        #expect(sink?.records.map(\.recordId) == ["S1|2026-11-17", "S4|2026-11-17"])
        #expect(sink?.rejections.map(\.code) == ["wrong-field-count", "wrong-field-count"])
        #expect(sink?.rejections.map(\.line) == [3, 4])
    }

    @Test func binaryJunkIsNamedByWhatItLooksLike() {
        // A PNG under a .csv name: told from its bytes, refused with what it looks like.
        #expect(run("binary-junk.csv").error?.problem == .unsupportedFormat(looksLike: "a PNG image"))
    }

    @Test func unrecognisedBinaryIsNotText() {
        let path = Scratch.bytes([0x41, 0x00, 0x01, 0x02, 0x00, 0xFE, 0x0A, 0x41])
        #expect(inputError { _ = try CSVReader(path: path) }?.problem == .notText(line: 1))
    }

    @Test func invalidUTF8IsARowErrorUnlessTheConfigNamesTheEncoding() {
        let (sink, _) = run("invalid-utf8.csv")
        #expect(sink?.records.count == 1)
        #expect(sink?.rejections.first?.code == "invalid-encoding")
        #expect(sink?.rejections.first?.column == "first_name")
        #expect(sink?.rejections.first?.line == 3)
        var latin1 = school
        latin1.dialect.encoding = .latin1
        let (decoded, _) = run("invalid-utf8.csv", latin1)
        #expect(decoded?.rejections.isEmpty == true)
        #expect(decoded?.records.last?.person.givenName == "José")
        #expect(decoded?.records.last?.person.familyName == "Muñoz")
    }

    @Test func aTenMegabyteFieldStopsTheFileWithoutReadingItAllIntoMemory() throws {
        let big = String(repeating: "A", count: 10 * 1024 * 1024)
        let path = Scratch.csv(
            "student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code\n"
                + "S1,Ana,Lee,2015-01-01,ELM,2026-11-17,A\nS2,\"\(big)\",Kim,2015-02-02,ELM,2026-11-17,P\n")
        let extractor = try ExtractorRegistry.makeExtractor(for: school)
        var sink = CollectingSink()
        let error = inputError { try extractor.extract(InputLocation(path: path), into: &sink) }
        #expect(sink.records.count == 1)
        #expect(error?.problem == .fieldTooLong(line: 3, limit: 1 << 20, quoteOpen: true))
        #expect(error.map { "\($0)".count < 200 } == true)
    }

    @Test func duplicateHeadersOfAReadColumnAreRefused() {
        let error = run("duplicate-headers.csv").error
        #expect(error?.problem == .duplicateColumn(name: "student_id", positions: [0, 7]))
        #expect(error.map { "\($0)".contains("columns 1 and 8") } == true)
    }

    @Test func emptyFileIsRefused() {
        #expect(run("empty.csv").error?.problem == .empty)
    }

    @Test func headerOnlyIsReadWithNoRows() {
        let (sink, error) = run("header-only.csv")
        #expect(error == nil)
        #expect(sink?.records.isEmpty == true && sink?.rejections.isEmpty == true)
    }

    @Test func wrongDelimiterNamesTheLikelyOne() {
        let error = run("wrong-delimiter.csv").error
        guard case .missingColumns(let missing, _, let firstLine)? = error?.problem else {
            Issue.record("expected missing columns, got \(String(describing: error))")
            return
        }
        #expect(missing.count == 7)
        #expect(firstLine.detected == UInt8(ascii: ";"))
        #expect(error.map { "\($0)".contains("set csv.delimiter: semicolon") } == true)
    }

    /// A new-user trial: the code column renamed to a person's name. The message points at the header cells
    /// no column reads, by position only, so the engineer finds the renamed one without the file being quoted.
    @Test func aRenamedRequiredColumnIsFoundByTheUnreadPositions() throws {
        let header = "student_id,first_name,last_name,birth_date,school_id,attendance_date,Orla Brennick,Remark"
        let path = Scratch.csv(header + "\nS1,Ana,Ode,2015-01-01,102,2026-11-16,P,\n", name: "renamed.csv")
        let error = inputError { _ = try extract(school, path) }
        let text = try #require(error).description
        #expect(text.contains("required column(s) missing: attendance_code"), "\(text)")
        #expect(text.contains("header cells no column reads, by position: 7, 8"), "\(text)")
        #expect(!text.contains("Orla") && !text.contains("Brennick") && !text.contains("Remark"))
    }

    @Test func aFileWithoutHeaderIsRefusedWithoutEchoingItsFirstRow() {
        let error = run("no-header.csv").error
        guard case .missingColumns(_, let present, _)? = error?.problem else {
            Issue.record("expected missing columns, got \(String(describing: error))")
            return
        }
        #expect(present.isEmpty)
        #expect(error.map { !"\($0)".contains("Ana") && !"\($0)".contains("2015-01-01") } == true)
    }

    @Test func randomBytesNeverCrashTheReader() throws {
        var generator = SplitMix64(seed: 20_261_124)
        let alphabet = Array("ab,\"\n\r;|\t é".utf8) + [0xC3, 0xFF, 0x00]
        for round in 0..<300 {
            let count = Int(generator.next() % 2000)
            let bytes = (0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let path = Scratch.bytes(bytes, name: "fuzz-\(round).csv")
            do {
                let reader = try CSVReader(path: path)
                var last = 0
                while let row = try reader.nextRow() {
                    #expect(row.line > last)
                    last = row.line
                    _ = row.allFields
                }
            } catch {
                // Only the documented file-level errors may escape.
                #expect(
                    ["empty", "not-text", "field-too-long", "row-too-long", "too-many-fields"].contains(error.code))
            }
        }
    }
}
