// The shared conformance suite every extractor passes: provenance on every record, bad rows rejected with
// file and line, and no message (row rejection, file error, RawRow description) containing a field value.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct ConformanceTests {
    /// Every fixture with the extractor config that reads it.
    static let cases: [(String, SourceConfig)] = {
        var edfi = SourceConfig.defaults(for: "school-attendance")
        edfi.layout = "edfi"
        var list: [(String, SourceConfig)] = [
            ("school-attendance-default.csv", .defaults(for: "school-attendance")),
            ("school-attendance-edfi.csv", edfi),
            ("hmis-fy2026", .defaults(for: "hmis-csv")),
            ("hmis-fy2024", .defaults(for: "hmis-csv")),
            ("jail-bookings.csv", .defaults(for: "jail-bookings")),
            ("housing-registry.csv", .defaults(for: "housing-registry")),
        ]
        for name in [
            "truncated-quote.csv", "ragged.csv", "invalid-utf8.csv", "duplicate-headers.csv", "no-header.csv",
            "wrong-delimiter.csv",
        ] {
            list.append(("malformed/\(name)", .defaults(for: "school-attendance")))
        }
        return list
    }()

    /// The data values of a CSV file (or of every CSV in a folder) that are long enough to recognise and are
    /// not also a header or an accepted code, which messages may name.
    static func values(_ path: String) throws -> Set<String> {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let files =
            isDirectory.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).map { "\(path)/\($0)" } : [path]
        var values: Set<String> = []
        var headers: Set<String> = []
        for file in files {
            guard let reader = try? CSVReader(path: file, dialect: CSVDialect(encoding: .latin1)) else { continue }
            headers.formUnion(reader.header)
            while let row = try reader.nextRow() {
                for field in row.allFields where field.count >= 3 { values.insert(field) }
            }
        }
        let allowed: Set<String> = [
            "Partial", "Tardy", "Early departure", "Excused Absence", "Unexcused Absence",
            "In Attendance", "active", "housed", "inactive", "deceased", "filed", "judgment",
            "dismissed", "by-name-list", "eviction-filing",
        ]
        return values.subtracting(headers).subtracting(allowed)
    }

    @Test(arguments: cases.indices)
    func noMessageContainsAFieldValue(index: Int) throws {
        let (fixture, config) = Self.cases[index]
        let path = Fixtures.path(fixture)
        let values = try Self.values(path)
        #expect(!values.isEmpty)
        var messages: [String] = []
        let extractor = try ExtractorRegistry.makeExtractor(for: config)
        var sink = CollectingSink()
        do {
            try extractor.extract(InputLocation(path: path), into: &sink)
        } catch {
            messages.append("\(error)")
        }
        messages += sink.rejections.map(\.description)
        messages += sink.rawRows.compactMap { $0.map { "\($0)" } }
        for message in messages {
            for value in values where message.contains(value) {
                Issue.record("\(fixture): a message contains a field value: \(message)")
            }
        }
        // Every record has provenance in the input, every rejection a line.
        for record in sink.records {
            #expect(record.provenance.line >= 2)
            #expect(record.provenance.file.hasPrefix(InputLocation(path: path).name))
            #expect(record.source == config.name)
        }
        #expect(sink.rejections.allSatisfy { $0.line >= 1 && !$0.file.isEmpty })
    }
}
