// Proves the "new format as a Swift type" example of docs/adding-a-source.md compiles and works as written,
// using only the public API (no @testable access).
import Extractors
import Foundation
import LastMileCore
import Testing

/// `probation-checkins`: the docs' example of a new format.
struct ProbationCheckinsExtractor: Extractor {
    static let kind = "probation-checkins"
    static let category = DataCategory.justice
    static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("case_number", required: true),
        ColumnSpec("first_name", required: true),
        ColumnSpec("last_name", required: true),
        ColumnSpec("birth_date", required: true, .date(formats: ["YYYY-MM-DD", "MM/DD/YYYY"])),
        ColumnSpec("released_at", required: true, .dateTime(formats: ["YYYY-MM-DD HH:mm"])),
    ])

    let source: SourceConfig
    init(source: SourceConfig) throws { self.source = source }

    func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let csv = try MappedCSV(input, layout: Self.defaultLayout, config: source)
        let number = csv["case_number"]
        let first = csv["first_name"]
        let last = csv["last_name"]
        let birth = csv["birth_date"]
        let released = csv["released_at"]
        try csv.forEachRow(into: &sink) { row in
            let caseNumber = try row.requiredText(number)
            guard let at = try row.dateTime(released) else { throw row.rejection(released, .missingRequired) }
            let person = PersonIdentity(
                givenName: try row.text(first), familyName: try row.text(last), birthDate: try row.date(birth))
            return SourceRecord(
                source: source.name, recordId: caseNumber, person: person,
                event: .booking(Booking(bookingNumber: caseNumber, bookedAt: at, releasedAt: at)),
                labels: source.labels, provenance: row.provenance())
        }
    }
}

@Suite struct NewFormatTests {
    @Test func theDocumentedExampleExtracts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lastmile-newformat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("checkins.csv")
        try Data(
            "Case Number,First Name,Last Name,Birth Date,Released At\nPC-1,Ana,Lee,1990-01-02,2026-11-18 09:30\nPC-2,Bo,Kim,1991-02-03,yesterday\n"
                .utf8
        ).write(to: file)
        let extractor = try ProbationCheckinsExtractor(
            source: SourceConfig(name: "county-probation", extractor: "probation-checkins"))
        var sink = CollectingSink()
        try extractor.extract(InputLocation(path: file.path), into: &sink)
        #expect(sink.records.map(\.recordId) == ["PC-1"])
        #expect(sink.records.first?.person.birthDate == CivilDate(year: 1990, month: 1, day: 2))
        #expect(
            sink.rejections.map(\.description) == [
                "checkins.csv:3, column \"released_at\": not a date-time in YYYY-MM-DD HH:mm"
            ])
    }
}
