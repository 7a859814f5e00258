// Attendance days and bed nights partitioned by school year, against a real PostgreSQL: a load creates the
// partitions of the years it writes (COPY and merge paths), retention drops exactly the years no source keeps
// and deletes by source where a keeping source shares the year, and the flags' read of one school year's
// attendance touches only that year's partition (EXPLAIN).
import Foundation
import LastMileCore
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct SchoolYearPartitionTests {
    func day(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

    func attendance(
        _ source: String, _ student: String, _ date: String, _ status: AttendanceStatus = .absentUnexcused
    ) -> EventStore.LinkedRecord {
        EventStore.LinkedRecord(
            record: SourceRecord(
                source: source, recordId: "\(student)|\(date)", person: PersonIdentity(sourcePersonId: student),
                event: .attendance(AttendanceDay(schoolId: "RHS", date: day(date), status: status)),
                provenance: Provenance(file: "a.csv", line: 2)),
            patientId: "P-\(student)")
    }

    func night(_ source: String, _ enrollment: String, _ date: String) -> EventStore.LinkedRecord {
        EventStore.LinkedRecord(
            record: SourceRecord(
                source: source, recordId: "\(enrollment)|\(date)", person: PersonIdentity(sourcePersonId: enrollment),
                event: .bedNight(BedNight(enrollmentId: enrollment, projectType: 1, date: day(date))),
                provenance: Provenance(file: "b.csv", line: 2)),
            patientId: "P-\(enrollment)")
    }

    /// Three school years (2023-24, 2024-25, 2025-26) of two school sources and a shelter, with the boundary
    /// days June 30 and July 1.
    var threeYears: [EventStore.LinkedRecord] {
        [
            attendance("usd", "S1", "2023-10-02"), attendance("usd", "S1", "2024-06-30"),
            attendance("usd", "S1", "2024-07-01"), attendance("usd", "S1", "2025-10-01"),
            attendance("usd", "S1", "2025-10-02", .present), attendance("edfi", "L1", "2024-10-01"),
            attendance("edfi", "L1", "2025-10-01"), night("hmis", "E1", "2024-01-05"),
            night("hmis", "E1", "2025-11-01"),
        ]
    }

    func count(_ db: Connection, _ sql: String) throws -> Int { Int(try db.execute(sql).scalar ?? "") ?? -1 }

    @Test func aLoadCreatesThePartitionsOfTheYearsItWritesOnBothPaths() throws {
        try withMigratedDatabase { db in
            let partitions = SchoolYearPartitions(connection: db)
            #expect(try partitions.years(of: "attendance_day").isEmpty)
            let first = try EventStore(connection: db).load(threeYears, runId: 1)
            #expect(first.inserted == threeYears.count)
            #expect(try partitions.years(of: "attendance_day") == [2023, 2024, 2025])
            #expect(try partitions.years(of: "bed_night") == [2023, 2025])
            // The merge path (rows of the source are stored): a correction, and a day of a new year.
            let again = [attendance("usd", "S1", "2025-10-02", .absentExcused), attendance("usd", "S1", "2026-09-01")]
            // Staging tables drop at commit: a merge runs inside the run's transaction.
            let second = try db.withTransaction { try EventStore(connection: db).load(again, runId: 2) }
            #expect(second.inserted == 1)
            #expect(second.updated == 1)
            #expect(try partitions.years(of: "attendance_day") == [2023, 2024, 2025, 2026])
            #expect(try count(db, "SELECT count(*) FROM lastmile.attendance_day_sy2024") == 2)
        }
    }

    @Test func retentionDropsExactlyTheYearsNoSourceKeeps() throws {
        try withMigratedDatabase { db in
            _ = try EventStore(connection: db).load(threeYears, runId: 1)
            let partitions = SchoolYearPartitions(connection: db)
            // As of 2025-26 with two school years kept: 2023-24 goes, for every source.
            let keep = SchoolYear(startYear: 2024)
            let firstKept = ["usd": keep, "edfi": keep, "hmis": keep]
            let counts = try partitions.applyRetention(firstKept: firstKept, deleting: ["usd", "edfi", "hmis"])
            #expect(counts.partitionsDropped == 2)
            #expect(counts.rowsDropped == 3)
            #expect(counts.rowsDeleted == 0)
            #expect(try partitions.years(of: "attendance_day") == [2024, 2025])
            #expect(try partitions.years(of: "bed_night") == [2025])
            #expect(try count(db, "SELECT count(*) FROM lastmile.attendance_day") == 5)
            #expect(
                try count(db, "SELECT count(*) FROM lastmile.attendance_day WHERE attendance_date = '2024-07-01'") == 1)
            let again = try partitions.applyRetention(firstKept: firstKept, deleting: ["usd", "edfi", "hmis"])
            #expect(again == RetentionCounts())
        }
    }

    @Test func aYearSharedWithASourceThatKeepsItLosesOnlyTheExpiredSourcesRows() throws {
        try withMigratedDatabase { db in
            _ = try EventStore(connection: db).load(threeYears, runId: 1)
            let partitions = SchoolYearPartitions(connection: db)
            // usd keeps only 2025-26; edfi has no setting and keeps every year it shares with usd.
            let firstKept = ["usd": SchoolYear(startYear: 2025)]
            let notTonight = try partitions.applyRetention(firstKept: firstKept, deleting: ["edfi"])
            #expect(notTonight.partitionsDropped == 1)  // 2023-24 holds only usd rows
            #expect(notTonight.rowsDeleted == 0)  // usd is not running tonight: its shared rows wait
            let counts = try partitions.applyRetention(firstKept: firstKept, deleting: ["usd"])
            #expect(counts.partitionsDropped == 0)
            #expect(counts.rowsDeleted == 1)  // usd's 2024-07-01; its 2024-06-30 went with 2023-24
            #expect(try partitions.years(of: "attendance_day") == [2024, 2025])
            let left = try db.execute(
                "SELECT string_agg(source || ' ' || attendance_date, ',' ORDER BY attendance_date, source) "
                    + "FROM lastmile.attendance_day"
            ).scalar
            #expect(left == "edfi 2024-10-01,edfi 2025-10-01,usd 2025-10-01,usd 2025-10-02")
        }
    }

    /// The plan of `query` with its parameters, as text.
    func plan(_ db: Connection, _ query: String, _ parameters: [any SQLParameter]) throws -> String {
        try db.execute("EXPLAIN " + query, parameters).rows.compactMap { $0.values.first ?? nil }.joined(
            separator: "\n")
    }

    @Test func theFlagsReadOfOneSchoolYearTouchesOnlyItsPartition() throws {
        try withMigratedDatabase { db in
            _ = try EventStore(connection: db).load(threeYears, runId: 1)
            let window: [any SQLParameter] = [day("2025-08-01"), day("2025-11-20")]
            let all = try plan(db, EventStore.attendanceQuery(patientScope: false, window: false), [])
            #expect(all.contains("attendance_day_sy2023") && all.contains("attendance_day_sy2025"))
            let year = try plan(db, EventStore.attendanceQuery(patientScope: false, window: true), window)
            #expect(year.contains("attendance_day_sy2025"), "\(year)")
            #expect(!year.contains("attendance_day_sy2024") && !year.contains("attendance_day_sy2023"), "\(year)")
            let patients: [any SQLParameter] = [ConsentStore.textArray(["P-S1"])]
            let scoped = try plan(db, EventStore.attendanceQuery(patientScope: true, window: true), patients + window)
            #expect(scoped.contains("attendance_day_sy2025") && !scoped.contains("attendance_day_sy2024"), "\(scoped)")

            let events = try EventStore(connection: db).eventsByPatient(
                ["P-S1"], attendanceWithin: day("2025-08-01")...day("2025-11-20"))
            let dates = (events["P-S1"] ?? []).compactMap { item -> String? in
                if case .attendance(let a) = item.event { return a.date.description }
                return nil
            }
            #expect(dates == ["2025-10-01", "2025-10-02"])
        }
    }
}
