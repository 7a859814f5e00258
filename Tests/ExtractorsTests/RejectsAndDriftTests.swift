// Issue 16 items 3 and 5: a renamed column is noticed (a warning, or for the jail's release date an error), and
// the rejects file keeps a rejected line's original bytes and names the HMIS table it came from.
import Foundation
import Testing

@testable import Extractors

@Suite struct RejectsAndDriftTests {
    /// Extracts `path` and writes its rejections to a new rejects file; returns the file's bytes.
    static func rejectsFile(_ config: SourceConfig, _ path: String) throws -> [UInt8] {
        let rejects = Scratch.root.appendingPathComponent("rejects-\(UUID().uuidString).csv").path
        let writer = try RejectsFileWriter(path: rejects)
        var sink = QuarantiningSink(base: CollectingSink(), rejects: writer)
        try ExtractorRegistry.makeExtractor(for: config).extract(InputLocation(path: path), into: &sink)
        try writer.flush()
        return Array(try Data(contentsOf: URL(fileURLWithPath: rejects)))
    }

    @Test func aRejectedWindows1252SemicolonCRLFLineComesBackByteForByte() throws {
        let header = "booking_number;last_name;first_name;birth_date;booking_datetime;release_datetime"
        let good = "B1;Nu\u{F1}ez;Jos\u{E9};1980-01-02;2026-11-10 23:40:00;"
        // A booking date that is no date, and a name with é and ñ in Windows-1252 (one byte each).
        let bad: [UInt8] =
            Array("B2;Nu".utf8) + [0xF1] + Array("ez;Ren".utf8) + [0xE9] + Array(";1981-03-04;yesterday;".utf8)
        var bytes = Array((header + "\r\n").utf8)
        bytes += Array(good.unicodeScalars.map { UInt8($0.value) }) + [13, 10]
        bytes += bad + [13, 10]
        let path = Scratch.bytes(bytes, name: "bookings.csv")
        var config = SourceConfig.defaults(for: "jail-bookings")
        config.dialect = CSVDialect(delimiter: UInt8(ascii: ";"), encoding: .windows1252)

        let file = try Self.rejectsFile(config, path)
        let lines = file.split(separator: 10, omittingEmptySubsequences: true)
        #expect(lines.count == 2)
        let row = try #require(lines.last)
        // file,table,line,column,reason,expected,raw_row: the raw row is the line as sent, without its CRLF.
        #expect(Array(row.suffix(bad.count + 1)) == [UInt8(ascii: ",")] + bad, "\(Array(row))")
        #expect(String(decoding: row.prefix(40), as: UTF8.self).hasPrefix("bookings.csv,,3,booking_datetime,"))
    }

    @Test func aRejectedQuotedRowOverTwoLinesKeepsItsQuotesAndLineBreak() throws {
        let text =
            "booking_number,last_name,first_name,birth_date,booking_datetime,release_datetime\n"
            + "B3,\"Smith, \"\"Jr\"\"\nline two\",Ann,1980-01-02,never,\n"
            + "B4,Lee,Bo,1980-01-02,2026-11-10 23:40:00,\n"
        let path = Scratch.csv(text, name: "bookings.csv")
        let file = String(decoding: try Self.rejectsFile(.defaults(for: "jail-bookings"), path), as: UTF8.self)
        let original = "B3,\"Smith, \"\"Jr\"\"\nline two\",Ann,1980-01-02,never,"
        // One CSV field holding the original text, its quotes doubled once more.
        #expect(file.hasSuffix(",\"" + original.replacingOccurrences(of: "\"", with: "\"\"") + "\"\n"), "\(file)")
    }

    @Test func aRejectedHMISRowNamesItsTable() throws {
        let folder = Scratch.root.appendingPathComponent("hmis-\(UUID().uuidString)/export")
        try FileManager.default.createDirectory(
            at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.path("hmis-fy2026")), to: folder)
        let enrollment = folder.appendingPathComponent("Enrollment.csv")
        var text = try String(contentsOf: enrollment, encoding: .utf8)
        if !text.hasSuffix("\n") { text += "\n" }
        text += "E99,C1,P-ES,not-a-date,HE99,1,CA-600,116,,2,,,,1,101,0,,,2026-01-05 09:00:00,,U1,,EXP42\n"
        try text.write(to: enrollment, atomically: true, encoding: .utf8)
        let file = String(
            decoding: try Self.rejectsFile(.defaults(for: "hmis-csv"), folder.path), as: UTF8.self)
        #expect(file.contains("\nexport/Enrollment.csv,Enrollment,"), "\(file)")
    }

    @Test func aJailFileWithoutItsReleaseColumnIsUnusableNotEveryoneInCustody() throws {
        let path = Scratch.csv(
            "booking_number,last_name,first_name,birth_date,booking_datetime,ReleasedAt\n"
                + "B1,Lee,Bo,1980-01-02,2026-11-10 23:40:00,2026-11-12 08:00:00\n")
        let error = inputError { _ = try extract(.defaults(for: "jail-bookings"), path) }
        guard case .missingColumns(let missing, _, _) = error?.problem else {
            Issue.record("expected missing columns, got \(String(describing: error))")
            return
        }
        #expect(missing.contains("release_datetime"))
        // A feed that never has releases says so in its config.
        var config = SourceConfig.defaults(for: "jail-bookings")
        config.columns["release_datetime"] = .init(required: false)
        #expect(try extract(config, path).records.count == 1)
    }

    @Test func aMappedOptionalColumnMissingFromTheHeaderIsAWarning() throws {
        var config = SourceConfig.defaults(for: "jail-bookings")
        config.columns["facility"] = .init(header: "FacilityName")
        let sink = try extract(config, Fixtures.path("jail-bookings.csv"))
        #expect(!sink.records.isEmpty)
        #expect(sink.warnings.map(\.code) == ["mapped-column-missing"])
        #expect(sink.warnings.first?.description.contains("\"FacilityName\" is not in the header") == true)
    }
}
