// Values, headers and file names from an input are printed by `lastmile extract` and in error messages; a
// hostile feed must not be able to send escape sequences or bidirectional overrides to the operator's terminal.
import Foundation
import TestSupport
import Testing

@Suite struct TerminalOutputTests {
    static let escape = "\u{1B}[2J\u{1B}]0;owned\u{07}"
    static let override = "\u{202E}"

    @Test func extractTableAndSummaryPrintControlCharactersAsEscapes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-tty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tty.csv")
        let header = "student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code"
        let rows = [
            // A school id (printed unmasked) carrying a clear-screen and a window-title sequence, and an override.
            "S1,Ann,Lee,2015-01-02,\"SCH\(Self.escape)\(Self.override)1\",2026-11-02,P",
            // A bad date: its rejection names the column; the value itself is never printed.
            "S2,Bo,Kim,2015-01-03,SCH2,not-a-date,P",
        ]
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        let result = try LastMileBinary.run(["extract", "--extractor", "school-attendance", file.path], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout + result.stderr
        #expect(!printed.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        #expect(result.stdout.contains(#"SCH\u{1B}[2J\u{1B}]0;owned\u{7}\u{202E}1"#))
        #expect(result.stdout.contains("1 good, 1 rejected"))
    }

    @Test func errorMessagesPrintAHostileFileNameAsEscapesAndNeverAHeaderCellTheConfigDoesNotName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-tty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("header\u{1B}[2J.csv")
        // Required columns missing: the error names the expected columns found, never the hostile cell.
        try "student_id,\"x\(Self.escape)\"\nS1,1\n".write(to: file, atomically: true, encoding: .utf8)

        let result = try LastMileBinary.run(["extract", "--extractor", "school-attendance", file.path], in: dir)
        #expect(result.status == 65)
        #expect(!result.stderr.isEmpty)
        #expect(!(result.stdout + result.stderr).unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(result.stderr.contains(#"header\u{1B}[2J.csv"#), "\(result.stderr)")
        #expect(!result.stderr.contains("owned"), "\(result.stderr)")
        #expect(result.stderr.contains("2 comma-separated fields"), "\(result.stderr)")
    }
}
