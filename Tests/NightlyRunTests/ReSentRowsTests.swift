// A following night that re-sends a school's whole file (one day corrected) on the sample world, with a real
// PostgreSQL: only the corrected row is staged and written, every other stored row counts unchanged, and a
// patient who opted out since the last night has their re-sent rows denied by gate 2 (not skipped as stored)
// and their flags closed.
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct ReSentRowsTests {
    @Test func aReSentFileWritesOnlyItsCorrectionAndAnOptOutStillDeniesTheStoredPersonsRows() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let count = { (sql: String, parameters: [any SQLParameter]) throws -> Int in
                Int(try db.execute(sql, parameters).scalar ?? "") ?? -1
            }
            // A student with an active flag opts out; another student's absence is corrected to present.
            let optedOut = try #require(
                try db.execute(
                    """
                    SELECT a.patient_id FROM lastmile.attendance_day a JOIN lastmile.flag f USING (patient_id)
                    WHERE a.source = 'riverside-usd' AND f.status = 'active' ORDER BY a.patient_id LIMIT 1
                    """
                ).scalar)
            let optedOutRows = try count(
                "SELECT count(*) FROM lastmile.attendance_day WHERE source = 'riverside-usd' AND patient_id = $1",
                [optedOut])
            let stored = try count("SELECT count(*) FROM lastmile.attendance_day WHERE source = 'riverside-usd'", [])
            let corrected = try #require(
                try db.execute(
                    """
                    SELECT student_id, attendance_date::text FROM lastmile.attendance_day
                    WHERE source = 'riverside-usd' AND status LIKE 'absent%' AND patient_id <> $1
                    ORDER BY student_id, attendance_date LIMIT 1
                    """, [optedOut]
                ).rows.first)
            try resendRiverside(workspace, correcting: corrected["student_id"] ?? "", on: corrected[1] ?? "")
            let directives = workspace.sampleData.appendingPathComponent("consent-directives.csv")
            let handle = try FileHandle(forWritingTo: directives)
            handle.seekToEndOfFile()
            handle.write(Data("test-optout-1,\(optedOut),deny,,,,,,,2026-11-21,active,self\n".utf8))
            try handle.close()

            let merged = CapturedLog()
            let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
            let asOf = CivilDate(iso: "2026-11-21")!
            let second = try NightlyRun(
                config: config, options: RunOptions(asOf: asOf, clock: nightClock(asOf)), logger: merged.logger
            ).run(connection: db)

            let riverside = try #require(second.sources.first { $0.source == "riverside-usd" })
            #expect(riverside.files == 1)
            #expect(riverside.eventsInserted == 0 && riverside.eventsUpdated == 1)
            #expect(riverside.deniedAfterMatch.values.reduce(0, +) >= optedOutRows)
            #expect(riverside.eventsUnchanged == stored - optedOutRows - 1)
            // The corrected row alone went through staging; the stored rows re-sent unchanged did not.
            #expect(merged.numbers("merged", table: "attendance_day", field: "rows") == [1])
            let status = try db.execute(
                """
                SELECT status FROM lastmile.attendance_day
                WHERE source = 'riverside-usd' AND student_id = $1 AND attendance_date = $2::date
                """, [corrected["student_id"], corrected[1]]
            ).scalar
            #expect(status == "present")
            #expect(
                try count("SELECT count(*) FROM lastmile.flag WHERE patient_id = $1 AND status = 'active'", [optedOut])
                    == 0)
        }
    }

    /// Writes riverside's file again under tomorrow's name, with the student's day marked present.
    private func resendRiverside(_ workspace: SampleWorkspace, correcting student: String, on day: String) throws {
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let original = try String(
            contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let columns = lines[0].split(separator: ",").map(String.init)
        let studentColumn = try #require(columns.firstIndex(of: "student_id"))
        let dateColumn = try #require(columns.firstIndex(of: "attendance_date"))
        let codeColumn = try #require(columns.firstIndex(of: "attendance_code"))
        var changed = 0
        for i in lines.indices.dropFirst() {
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count, fields[studentColumn] == student, fields[dateColumn] == day else {
                continue
            }
            fields[codeColumn] = "P"
            lines[i] = fields.joined(separator: ",")
            changed += 1
        }
        #expect(changed == 1)
        try lines.joined(separator: "\n").write(
            to: inbox.appendingPathComponent("attendance-2026-11-21.csv"), atomically: true, encoding: .utf8)
    }
}
