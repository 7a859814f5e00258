// Proves the CSV reader's contract: RFC 4180 quoting, line ends, BOM, delimiters, encodings, physical line
// numbers through quoted newlines, header folding, and that bad input gives a row problem or an InputError.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct CSVReaderTests {
    @Test func quotedFieldsKeepDelimitersQuotesAndNewlines() throws {
        let path = Scratch.csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,2,3\n")
        let (header, rows) = try readAll(path)
        #expect(header == ["a", "b", "c"])
        #expect(rows.count == 2)
        #expect(rows[0].fields == ["x, y", "say \"hi\"", "two\nlines"])
        #expect(rows[0].line == 2)
        // The quoted newline moved the next row to physical line 4.
        #expect(rows[1].line == 4)
        #expect(rows[1].fields == ["1", "2", "3"])
    }

    @Test func crlfLoneCRAndBlankLinesAreCountedAsLines() throws {
        let path = Scratch.csv("a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n5,6\r\n")
        let (_, rows) = try readAll(path)
        #expect(rows.map(\.line) == [2, 4, 6])
        #expect(rows[1].fields == ["3", "x\r\ny"])
        let cr = Scratch.csv("a,b\r1,2\r3,4")
        #expect(try readAll(cr).rows.map(\.line) == [2, 3])
    }

    @Test func lastRowWithoutNewlineAndEmptyFields() throws {
        let path = Scratch.csv("a,b,c\n,\"\",z")
        let reader = try CSVReader(path: path)
        let row = try #require(try reader.nextRow())
        #expect(row.isEmpty(0) && row.isEmpty(1))
        #expect(row.string(2) == "z")
        #expect(row.problem == nil)
        #expect(try reader.nextRow() == nil)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let path = Scratch.bytes([0xEF, 0xBB, 0xBF] + Array("Student ID,x\n7,8\n".utf8))
        let reader = try CSVReader(path: path)
        #expect(reader.header == ["Student ID", "x"])
        #expect(reader.columnIndex(named: "student_id") == 0)
    }

    @Test(arguments: [",", "\t", "|", ";"])
    func everyAllowedDelimiter(delimiter: String) throws {
        let d = delimiter.utf8.first!
        let path = Scratch.csv("a\(delimiter)b\n\"1\(delimiter)5\"\(delimiter)2\n")
        let (header, rows) = try readAll(path, dialect: CSVDialect(delimiter: d))
        #expect(header == ["a", "b"])
        #expect(rows[0].fields == ["1\(delimiter)5", "2"])
    }

    @Test func headerLookupIgnoresCaseSpacesAndUnderscores() throws {
        let reader = try CSVReader(path: Scratch.csv("Birth Date,LAST_NAME,x,X\n1,2,3,4\n"))
        #expect(reader.columnIndex(named: "birth_date") == 0)
        #expect(reader.columnIndex(named: "lastname") == 1)
        #expect(reader.columnIndex(named: "missing") == nil)
        #expect(reader.columnIndices(named: "x") == [2, 3])
        #expect(reader.columnIndex(named: "x") == nil)
    }

    @Test func invalidUTF8IsARowProblemWithItsColumn() throws {
        let bytes = Array("a,b\n1,ok\n2,".utf8) + [0xC3, 0x28] + Array("\n3,fine\n".utf8)
        let (_, rows) = try readAll(Scratch.bytes(bytes))
        #expect(rows.map(\.problem) == [nil, .invalidUTF8(column: 1), nil])
        #expect(rows[1].line == 3)
    }

    @Test func windows1252AndLatin1AreTranscoded() throws {
        // "Zoë", "“Ana”" and "€" in code page 1252.
        let bytes = Array("n\n".utf8) + [0x5A, 0x6F, 0xEB, 0x0A, 0x93, 0x41, 0x6E, 0x61, 0x94, 0x0A, 0x80, 0x0A]
        let path = Scratch.bytes(bytes)
        let cp1252 = try readAll(path, dialect: CSVDialect(encoding: .windows1252)).rows.map(\.fields)
        #expect(cp1252 == [["Zoë"], ["“Ana”"], ["€"]])
        let latin1 = try readAll(path, dialect: CSVDialect(encoding: .latin1)).rows.map(\.fields)
        #expect(latin1[0] == ["Zoë"])
        #expect(latin1[2] == ["\u{80}"])
        // The same bytes read as UTF-8 are row problems, not garbage.
        let utf8 = try readAll(path).rows
        #expect(utf8.allSatisfy { $0.problem == .invalidUTF8(column: 0) })
    }

    @Test func raggedRowsAreRowProblemsButTrailingEmptyFieldsAreTolerated() throws {
        let (_, rows) = try readAll(Scratch.csv("a,b,c\n1,2\n1,2,3,\n1,2,3,4\n"))
        #expect(rows.map(\.problem) == [.fieldCount(expected: 3, found: 2), nil, .fieldCount(expected: 3, found: 4)])
    }

    @Test func unterminatedQuoteAtEndIsARowProblemOnTheLineItStarts() throws {
        let (_, rows) = try readAll(Scratch.csv("a,b\n1,2\n3,\"never closed\nmore\n"))
        #expect(rows.count == 2)
        #expect(rows[0].problem == nil)
        #expect(rows[1].problem == .unterminatedQuote)
        #expect(rows[1].line == 3)
    }

    @Test func fileLevelFailures() throws {
        #expect(inputError { _ = try CSVReader(path: Scratch.csv("")) }?.problem == .empty)
        #expect(inputError { _ = try CSVReader(path: Scratch.csv("\n\r\n  \n")) }?.problem == .empty)
        #expect(inputError { _ = try CSVReader(path: "/nonexistent/file.csv") }?.code == "cannot-open")
        let junk = Scratch.bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D])
        #expect(inputError { _ = try CSVReader(path: junk) }?.problem == .notText(line: 1))
        let badHeader = Scratch.bytes([0xFF, 0xFE, 0x41, 0x0A, 0x31, 0x0A])
        #expect(inputError { _ = try CSVReader(path: badHeader) }?.problem == .notText(line: 1))
    }

    @Test func aFieldOverTheLimitStopsTheFileAfterTheGoodRows() throws {
        let big = String(repeating: "x", count: 10 * 1024 * 1024)
        let path = Scratch.csv("a,b\n1,2\n3,\"\(big)\"\n5,6\n")
        let reader = try CSVReader(path: path)
        #expect(try reader.nextRow()?.line == 2)
        let error = inputError { _ = try reader.nextRow() }
        #expect(error?.problem == .fieldTooLong(line: 3, limit: 1 << 20, quoteOpen: true))
        #expect(error.map { !"\($0)".contains("xxxx") } == true)
    }

    @Test func linesStayRightAcrossChunkBoundaries() throws {
        // 40,000 rows with a quoted two-line field every 7th row cross many 256 KiB chunks.
        var text = "id,note,n\n"
        var expected: [Int] = []
        var line = 2
        for i in 0..<40_000 {
            expected.append(line)
            if i % 7 == 0 {
                text += "\(i),\"first\nsecond, with comma\",\(i)\n"
                line += 2
            } else {
                text += "\(i),plain note for row \(i),\(i)\n"
                line += 1
            }
        }
        let reader = try CSVReader(path: Scratch.csv(text))
        var lines: [Int] = []
        var ids: [Int] = []
        while let row = try reader.nextRow() {
            lines.append(row.line)
            ids.append(row.int(0) ?? -1)
            #expect(row.int(2) == row.int(0))
        }
        #expect(lines == expected)
        #expect(ids == Array(0..<40_000))
    }

    @Test func quotedLineBreaksSpanningChunksAreCounted() throws {
        // A 600 KiB quoted field with 3,000 CRLF line breaks crosses two 256 KiB chunk boundaries.
        let chunk = String(repeating: "x", count: 200) + "\r\n"
        let big = String(repeating: chunk, count: 3_000)
        let path = Scratch.csv("a,b\r\n1,\"\(big)\"\r\n\r\n2,\"two\nlines\"\r\n3,z\r\n")
        let (_, rows) = try readAll(path)
        #expect(rows.map(\.line) == [2, 3_004, 3_006])
        #expect(rows[0].fields[1].utf8.count == big.utf8.count - 2)  // the trailing CRLF is trimmed like spaces
    }

    @Test func randomQuotedLineBreaksKeepEveryRowOnItsLine() throws {
        // Random files of quoted fields holding LF, CRLF, lone CR, quotes and delimiters, with LF or CRLF row
        // ends and blank lines; the expected line of every row is counted while writing it.
        var generator = SplitMix64(seed: 42)
        func pick(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        let pieces = ["a", "bc", " ", ",", "\"\"", "\n", "\r\n", "\r", "é"]
        for round in 0..<12 {
            var text = "h1,h2,h3\n"
            var line = 2
            var expected: [(Int, [String])] = []
            for _ in 0..<(5_000 + pick(30_000)) {
                if pick(10) == 0 {
                    text += pick(2) == 0 ? "\n" : "\r\n"
                    line += 1
                }
                let start = line
                var fields: [String] = []
                var raw: [String] = []
                for _ in 0..<3 {
                    if pick(3) == 0 {
                        var value = ""
                        for _ in 0..<pick(6) { value += pieces[pick(pieces.count)] }
                        raw.append("\"" + value + "\"")
                        let unquoted = value.replacing("\"\"", with: "\"")
                        fields.append(unquoted)
                        let bytes = Array(unquoted.utf8)
                        for (i, b) in bytes.enumerated()
                        where b == 10 || (b == 13 && (i + 1 == bytes.count || bytes[i + 1] != 10)) {
                            line += 1
                        }
                    } else {
                        let value = ["x", "yz", "", "12"][pick(4)]
                        raw.append(value)
                        fields.append(value)
                    }
                }
                text += raw.joined(separator: ",") + (pick(2) == 0 ? "\n" : "\r\n")
                line += 1
                expected.append((start, fields))
            }
            let reader = try CSVReader(path: Scratch.csv(text, name: "random-\(round).csv"))
            var index = 0
            while let row = try reader.nextRow() {
                guard index < expected.count else { break }
                #expect(row.line == expected[index].0, "round \(round) row \(index)")
                #expect(row.allFields == expected[index].1, "round \(round) row \(index)")
                if row.line != expected[index].0 { break }
                index += 1
            }
            #expect(index == expected.count)
        }
    }

    @Test func dateFormats() throws {
        let path = Scratch.csv("d\n2026-11-20\n11/20/2026\n1/2/2026\n2026-02-30\n20261120\n2026-11-20 13:05\n")
        let reader = try CSVReader(path: path)
        let formats = [DateFormat.iso, DateFormat("MM/DD/YYYY")!, DateFormat("M/D/YYYY")!]
        var dates: [CivilDate?] = []
        while let row = try reader.nextRow() { dates.append(row.date(0, formats: formats)) }
        #expect(
            dates == [
                CivilDate(year: 2026, month: 11, day: 20), CivilDate(year: 2026, month: 11, day: 20),
                CivilDate(year: 2026, month: 1, day: 2), nil, nil, nil,
            ])
        #expect(DateFormat("YYYY-QQ-DD") == nil)
        #expect(DateFormat("HH:mm") == nil)
    }

    @Test func dateTimeFormats() throws {
        let path = Scratch.csv("t\n2026-11-20 23:40:05\n2026-11-20T07:15\n11/20/2026 12:30 AM\n2026-11-20 24:00\n")
        let reader = try CSVReader(path: path)
        let formats = ["YYYY-MM-DD HH:mm:ss", "YYYY-MM-DDTHH:mm", "MM/DD/YYYY H:mm a", "YYYY-MM-DD HH:mm"].map {
            DateFormat($0)!
        }
        var values: [String] = []
        while let row = try reader.nextRow() { values.append(row.dateTime(0, formats: formats)?.description ?? "nil") }
        #expect(values == ["2026-11-20 23:40:05", "2026-11-20 07:15:00", "2026-11-20 00:30:00", "nil"])
    }
}
