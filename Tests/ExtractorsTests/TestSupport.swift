import Foundation
import Testing

@testable import Extractors

/// A private temporary directory per test, under one folder per process removed when the process exits.
enum Scratch {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-extractors-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// Writes `bytes` to a new file and returns its path.
    static func bytes(_ bytes: [UInt8], name: String = "input.csv") -> String {
        let dir = root.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url.path
    }

    static func csv(_ text: String, name: String = "input.csv") -> String { bytes(Array(text.utf8), name: name) }
}

/// Every row of a file as (line, fields or problem).
func readAll(_ path: String, dialect: CSVDialect = CSVDialect()) throws -> (
    header: [String], rows: [(line: Int, fields: [String], problem: CSVRowProblem?)]
) {
    let reader = try CSVReader(path: path, dialect: dialect)
    var rows: [(Int, [String], CSVRowProblem?)] = []
    while let row = try reader.nextRow() {
        rows.append((row.line, (0..<row.fieldCount).map { row.string($0) ?? "" }, row.problem))
    }
    return (reader.header, rows)
}

func inputError(_ body: () throws -> Void) -> InputError? {
    do {
        try body()
        return nil
    } catch let error as InputError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Paths of the committed test inputs (synthetic people only).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static func path(_ name: String) -> String { root.appendingPathComponent("Fixtures/\(name)").path }
    static func golden(_ name: String) -> URL { root.appendingPathComponent("Golden/\(name)") }
}

/// Runs an extractor over one input and keeps everything.
func extract(_ config: SourceConfig, _ path: String) throws -> CollectingSink {
    let extractor = try ExtractorRegistry.makeExtractor(for: config)
    var sink = CollectingSink()
    try extractor.extract(InputLocation(path: path), into: &sink)
    return sink
}

/// A stable text rendering of everything an extraction produced, for golden files.
func render(_ sink: CollectingSink) -> String {
    var lines: [String] = []
    for r in sink.records {
        let p = r.person
        let person: [(String, String?)] = [
            ("id", p.sourcePersonId), ("given", p.givenName), ("middle", p.middleName), ("family", p.familyName),
            ("suffix", p.suffix), ("birth", p.birthDate?.description), ("sex", p.sex?.rawValue), ("street", p.street),
            ("city", p.city), ("state", p.state), ("postal", p.postalCode), ("phone", p.phone), ("ssn", p.ssn),
            ("ssn4", p.ssnLast4),
        ]
        let personText = person.compactMap { k, v in v.map { "\(k)=\($0)" } }.joined(separator: "; ")
        let event: String
        switch r.event {
        case .attendance(let d):
            event =
                "attendance \(d.date) school=\(d.schoolId) name=\(d.schoolName ?? "-") grade=\(d.grade ?? "-") \(d.status.rawValue) minutes=\(d.minutesAbsent.map(String.init) ?? "-")"
        case .enrollment(let e):
            event = "enrollment school=\(e.schoolId) \(e.entryDate)..\(e.exitDate?.description ?? "")"
        case .attendanceTotals(let t):
            event =
                "totals school=\(t.schoolId) grade=\(t.grade ?? "-") asof=\(t.asOf) absent=\(t.daysAbsent) enrolled=\(t.daysEnrolled)"
        case .shelterStay(let s):
            event =
                "stay \(s.enrollmentId) project=\(s.projectId) type=\(s.projectType) \(s.entryDate)..\(s.exitDate?.description ?? "") movein=\(s.moveInDate?.description ?? "-") destination=\(s.exitDestination.map(String.init) ?? "-")"
        case .bedNight(let n):
            event = "bed-night \(n.enrollmentId) type=\(n.projectType) \(n.date)"
        case .booking(let b):
            event =
                "booking \(b.bookingNumber) \(b.bookedAt)..\(b.releasedAt?.description ?? "") facility=\(b.facility ?? "-") charges=\(b.chargeCount.map(String.init) ?? "-") agency=\(b.agency ?? "-")"
        case .housingStatus(let h):
            event =
                "housing \(h.recordId) \(h.recordType.rawValue) \(h.status.rawValue) \(h.statusDate) program=\(h.program ?? "-") household=\(h.householdId ?? "-")"
        }
        let labels = r.labels.map(\.rawValue).sorted().joined(separator: ",")
        lines.append("\(r.provenance) [\(r.source)] \(r.recordId) | \(event) | \(personText) | labels=\(labels)")
    }
    for rejection in sink.rejections { lines.append("REJECT \(rejection) [\(rejection.code)]") }
    return lines.joined(separator: "\n") + "\n"
}

/// Compares `text` with a golden file; `LASTMILE_RECORD_GOLDEN=1` rewrites it and fails, so nobody records by accident.
func assertGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = Fixtures.golden(name)
    if ProcessInfo.processInfo.environment["LASTMILE_RECORD_GOLDEN"] == "1" {
        try? text.write(to: url, atomically: true, encoding: .utf8)
        Issue.record("recorded \(name); rerun without LASTMILE_RECORD_GOLDEN", sourceLocation: sourceLocation)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record(
            "missing golden file \(name); record it with LASTMILE_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    if expected != text {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record(
            "\(name) differs at line \(first + 1):\n expected: \(first < a.count ? String(a[first]) : "<end>")\n actual:   \(first < b.count ? String(b[first]) : "<end>")",
            sourceLocation: sourceLocation)
    }
}
