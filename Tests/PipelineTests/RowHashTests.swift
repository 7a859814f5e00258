// Event rows keep a content hash (migration 15), against a real PostgreSQL: a batch re-sent unchanged is neither
// staged nor written but counted unchanged; a changed row still merges; the last row of a key still wins when a
// stored-unchanged copy follows a change; and an update by another writer (a merge moving the patient) clears
// the hash, so the row is compared again instead of skipped on a hash that no longer describes it.
import Foundation
import LastMileCore
import Logging
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct RowHashTests {
    func attendance(_ student: String, _ date: String, _ status: AttendanceStatus, patient: String? = nil)
        -> EventStore.LinkedRecord
    {
        EventStore.LinkedRecord(
            record: SourceRecord(
                source: "usd", recordId: "\(student)|\(date)", person: PersonIdentity(sourcePersonId: student),
                event: .attendance(AttendanceDay(schoolId: "RHS", date: CivilDate(iso: date)!, status: status)),
                provenance: Provenance(file: "a.csv", line: 2)),
            patientId: patient ?? "P-\(student)", fileSha256: "f1")
    }

    /// Forty school days of four students, every seventh an absence.
    var month: [EventStore.LinkedRecord] {
        (0..<40).map { i in
            attendance(
                "S\(i % 4)", "2026-10-\(String(format: "%02d", 1 + i / 4 + (i / 4 >= 5 ? 2 : 0)))",
                i % 7 == 0 ? .absentUnexcused : .present)
        }
    }

    func load(_ db: Connection, _ records: [EventStore.LinkedRecord], runId: Int64, log: CapturedLog? = nil) throws
        -> UpsertCounts
    {
        try db.withTransaction { try EventStore(connection: db, logger: log?.logger).load(records, runId: runId) }
    }

    /// A large batch is hashed in slices on several threads: each row gets its own hash, the same one a small
    /// batch (one slice) gives it.
    @Test func aLargeBatchHashesAsASmallOne() throws {
        let start = try #require(CivilDate(iso: "2026-09-01"))
        let days = (0..<5_000).map { i in
            attendance("S\(i % 50)", start.adding(days: i / 50).description, .present)
        }
        try withMigratedDatabase { db in
            #expect(try load(db, days, runId: 1).inserted == 5_000)
            #expect(
                try db.execute("SELECT count(DISTINCT row_hash) FROM lastmile.attendance_day").scalar == "5000")
            let log = CapturedLog()
            let again = try load(db, Array(days[2_400..<2_500]), runId: 2, log: log)
            #expect(again.unchanged == 100 && again.inserted == 0 && again.updated == 0)
            #expect(log.numbers("merged", table: "attendance_day", field: "rows").isEmpty)
        }
    }

    @Test func aReSentBatchIsNotStagedButCountedUnchanged() throws {
        try withMigratedDatabase { db in
            let first = try load(db, month, runId: 1)
            #expect(first.inserted == 40)
            #expect(try db.execute("SELECT count(*) FROM lastmile.attendance_day WHERE row_hash IS NULL").scalar == "0")

            let log = CapturedLog()
            var resent = month
            resent[9] = attendance("S1", "2026-10-03", .absentExcused)
            resent.append(attendance("S0", "2026-10-20", .present))
            let second = try load(db, resent, runId: 2, log: log)
            #expect(second.inserted == 1 && second.updated == 1 && second.unchanged == 39)
            // Only the changed and the new row reach staging; the 39 stored ones are skipped on the client.
            #expect(log.numbers("merged", table: "attendance_day", field: "rows") == [2])
            #expect(
                log.numbers("stored rows re-sent unchanged; not staged", table: "attendance_day", field: "rows.skipped")
                    == [39])
            let rewritten = try db.execute(
                "SELECT student_id, attendance_date::text, status FROM lastmile.attendance_day WHERE run_id = 2 ORDER BY 1, 2"
            ).rows.map(\.values)
            #expect(rewritten == [["S0", "2026-10-20", "present"], ["S1", "2026-10-03", "absent-excused"]])

            let third = try load(db, resent, runId: 3, log: log)
            #expect(third.inserted == 0 && third.updated == 0 && third.unchanged == 41)
            #expect(log.numbers("merged", table: "attendance_day", field: "rows") == [2])
        }
    }

    @Test func theLastRowOfAKeyWinsWhenAStoredCopyFollowsAChange() throws {
        try withMigratedDatabase { db in
            _ = try load(db, month, runId: 1)
            // The day is corrected, then corrected back within one batch: the stored row is what the batch ends on.
            let day = month[4]
            let batch = [attendance("S0", "2026-10-02", .absentExcused), day]
            let counts = try load(db, batch, runId: 2)
            #expect(counts.updated == 0 && counts.unchanged == 1 && counts.inserted == 0)
            let status = try db.execute(
                "SELECT status FROM lastmile.attendance_day WHERE student_id = 'S0' AND attendance_date = '2026-10-02'"
            ).scalar
            #expect(status == "present")
            // A stored copy followed by a change: the change is written.
            let corrected = try load(db, [day, attendance("S0", "2026-10-02", .absentExcused)], runId: 3)
            #expect(corrected.updated == 1 && corrected.unchanged == 0)
            let after = try db.execute(
                "SELECT status FROM lastmile.attendance_day WHERE student_id = 'S0' AND attendance_date = '2026-10-02'"
            ).scalar
            #expect(after == "absent-excused")
        }
    }

    @Test func anUpdateByAnotherWriterClearsTheHashSoTheRowIsComparedAgain() throws {
        try withMigratedDatabase { db in
            _ = try load(db, month, runId: 1)
            // A patient merge moves S2's rows to another patient (as `PatientMerges` does, without the hash).
            try db.execute(
                unsafeSQL: """
                    UPDATE lastmile.attendance_day SET patient_id = 'P-survivor', merged_from = patient_id
                    WHERE student_id = 'S2'
                    """)
            let cleared = try db.execute(
                "SELECT count(*) FROM lastmile.attendance_day WHERE student_id = 'S2' AND row_hash IS NULL"
            ).scalar
            #expect(cleared == "10")
            // Re-sent as linked before the merge (an unmerge, say): compared, not skipped, so rewritten.
            let again = try load(db, month, runId: 2)
            #expect(again.updated == 10 && again.unchanged == 30)
            #expect(
                try db.execute("SELECT count(*) FROM lastmile.attendance_day WHERE patient_id = 'P-survivor'").scalar
                    == "0")
            // Another writer changes a column the loader does not write: the rows are unchanged for the loader,
            // staged once to write their hash again, and skipped the night after.
            try db.execute(
                unsafeSQL: "UPDATE lastmile.attendance_day SET merged_from = 'P-old' WHERE student_id = 'S3'")
            let log = CapturedLog()
            let rehashed = try load(db, month, runId: 3, log: log)
            #expect(rehashed.updated == 0 && rehashed.unchanged == 40)
            #expect(log.numbers("merged", table: "attendance_day", field: "rows") == [10])
            #expect(try db.execute("SELECT count(*) FROM lastmile.attendance_day WHERE row_hash IS NULL").scalar == "0")
            _ = try load(db, month, runId: 4, log: log)
            #expect(log.numbers("merged", table: "attendance_day", field: "rows") == [10])
        }
    }
}
