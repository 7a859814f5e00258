// Issue 12 item 2 and issue 13 item 6, from the outside: a headerless export's first line (a person's name
// and birth date) appears in no message, log line or ledger row; a file name cannot forge a text log line.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct InputMessageTests {
    /// A fake student in the riverside default layout's 20 columns, as a headerless export would write it.
    static let student = [
        "990001", "Marisol", "", "Quintanilla", "", "2014-03-09", "F", "5", "102", "Millbrook Elementary School",
        "2026-11-21", "A", "", "Rosalind Quintanilla", "555-0142", "12 Oak Street", "Oakdale", "OR", "97420", "",
    ]
    /// The values of `student` no message may show (the short codes could occur by chance).
    static let personal = ["990001", "Marisol", "Quintanilla", "2014-03-09", "Rosalind", "555-0142", "12 Oak Street"]
    static let delimiters = [("\t", "tab"), (";", "semicolon"), ("|", "pipe")]

    static func headerless(_ delimiter: String) -> String {
        let line = student.joined(separator: delimiter)
        return line + "\n" + line.replacingOccurrences(of: "990001", with: "990002") + "\n"
    }

    static func leaks(_ text: String) -> [String] { personal.filter { text.contains($0) } }

    @Test func extractOfAHeaderlessFileExits65NamingTheDelimiterAndFieldCountOnly() throws {
        let dir = try TemporaryDirectory()
        for (delimiter, name) in Self.delimiters {
            let file = dir.url.appendingPathComponent("export-\(name).csv")
            try Self.headerless(delimiter).write(to: file, atomically: true, encoding: .utf8)
            for format in ["text", "json"] {
                let result = try LastMileBinary.run(
                    ["extract", "--extractor", "school-attendance", "--log-format", format, file.path], in: dir.url)
                #expect(result.status == 65, "\(name) \(format): \(result.stderr)")
                let printed = result.stdout + result.stderr
                #expect(Self.leaks(printed).isEmpty, "\(name) \(format) shows \(Self.leaks(printed)): \(printed)")
                #expect(result.stderr.contains("20 \(name)-separated fields"), "\(name) \(format): \(result.stderr)")
                #expect(result.stderr.contains("student_id"), "\(name) \(format): \(result.stderr)")
            }
        }
    }

    @Test func aRunOverAHeaderlessFileExits79AndItsLogsLedgerAndRunsShowNoValue() throws {
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            for (delimiter, name) in Self.delimiters {
                let file = inbox.appendingPathComponent("attendance-2026-11-21.csv")
                try Self.headerless(delimiter).write(to: file, atomically: true, encoding: .utf8)
                let run = try LastMileBinary.run(
                    [
                        "run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--log-format", "json", "--database",
                        url,
                    ],
                    in: workspace.root)
                #expect(run.status == 79, "\(name): \(run.stderr)")
                #expect(Self.leaks(run.stdout + run.stderr).isEmpty, "\(name) run shows \(run.stdout + run.stderr)")
                for line in run.stderr.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
                }
                #expect(run.stderr.contains("20 \(name)-separated fields"), "\(name): \(run.stderr)")

                let message = try db.execute("SELECT message FROM lastmile.run ORDER BY run_id DESC LIMIT 1").scalar
                #expect(message?.contains("\(name)-separated") == true, "\(message ?? "no message")")
                #expect(Self.leaks(message ?? "").isEmpty, "ledger message shows \(message ?? "")")
                let runs = try LastMileBinary.run(["runs", "--database", url], in: workspace.root)
                #expect(runs.status == 0, "\(runs.stderr)")
                #expect(runs.stdout.contains("\(name)-separated"), "\(runs.stdout)")
                #expect(Self.leaks(runs.stdout + runs.stderr).isEmpty, "runs shows \(runs.stdout)")
                try FileManager.default.removeItem(at: file)
            }
        }
    }

    @Test func aFileNameWithANewlineCannotForgeATextLogLine() throws {
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let forged = "2026-11-21T03:00:00+0000 error lastmile : [Pipeline] FORGED delivery failed"
        let name = "attendance-2026-11-21\n\(forged)\r\n.csv"
        let original = try String(
            contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
        let header = String(original.prefix { $0 != "\n" })
        try (header + "\n").write(to: inbox.appendingPathComponent(name), atomically: true, encoding: .utf8)
        try TestDatabase.withFreshDatabase { url in
            let run = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--database", url], in: workspace.root)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(!lines.isEmpty)
            // Every line is one event of the text format: a timestamp, a level, the label; none is forged.
            let event = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (trace|debug|info|notice|warning|error|critical) /#
            for line in lines {
                #expect(line.firstMatch(of: event) != nil, "not a log event: \(line)")
                #expect(!line.hasPrefix(forged), "forged line: \(line)")
                #expect(!line.contains("\r"), "a carriage return in \(line)")
            }
            // The file was read and its one "extracted" event names it on one line, with the breaks escaped.
            let extracted = lines.filter { $0.contains("FORGED") }
            #expect(extracted.count == 1, "\(extracted)")
            #expect(extracted.first?.contains("extracted") == true, "\(extracted)")
            #expect(extracted.first?.contains(#"attendance-2026-11-21\u{A}2026-11-21T03"#) == true, "\(extracted)")
        }
    }
}
