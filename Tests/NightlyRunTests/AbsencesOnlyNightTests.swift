// Issue 16 item 1 through the nightly run: a district that exports absences only, with an enrollment file and
// a school calendar, is rated on its enrolled instructional days, and the rates match the hand computation
// below. The district is the sample's Lakeside (Ed-Fi layout) re-exported absences-only for two of its
// students: one who enrolls in October, one who leaves at the end of September.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct AbsencesOnlyNightTests {
    static let source = "lakeside-edfi"
    static let inbox = "sample-data/inbox/lakeside-edfi"
    static let descriptor = "uri://ed-fi.org/AttendanceEventCategoryDescriptor#"

    /// The calendar: every weekday from Monday 17 August to Friday 20 November 2026 but Labor Day (7 September)
    /// and Veterans Day (11 November).
    static func instructional(_ date: CivilDate) -> Bool {
        let monday = day("2026-08-17")
        let weekday = ((date.dayNumber - monday.dayNumber) % 7 + 7) % 7
        return weekday < 5 && date != day("2026-09-07") && date != day("2026-11-11")
    }

    static func day(_ iso: String) -> CivilDate { CivilDate(iso: iso) ?? CivilDate(dayNumber: 0) }

    /// Two students of the positive sample that link to a patient and pass consent, with their Ed-Fi row fields
    /// (identity columns from their first row).
    static func linkedStudents(_ workspace: SampleWorkspace) throws -> [[String]] {
        let ids = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db) { $0.onlySources = [source] }
            return try db.execute(
                "SELECT DISTINCT student_id FROM lastmile.attendance_day WHERE source = $1 ORDER BY student_id LIMIT 2",
                [source]
            ).rows.compactMap { $0["student_id"] }
        }
        let folder = workspace.root.appendingPathComponent(inbox)
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).first {
                $0.hasPrefix("attendance-events-")
            })
        let rows = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            .split(separator: "\n").dropFirst().map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
        return try ids.map { id in try #require(rows.first { $0.first == id }) }
    }

    /// Replaces Lakeside's export with absences of the two students, an enrollment file and a calendar.
    static func reexportAbsencesOnly(_ workspace: SampleWorkspace, students: [[String]]) throws {
        let folder = workspace.root.appendingPathComponent(inbox)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        }
        let (a, b) = (students[0], students[1])
        func absence(_ student: [String], _ date: String, _ category: String = "Unexcused Absence") -> String {
            // StudentUniqueId,FirstName,LastSurname,BirthDate,SexDescriptor,SchoolId,EventDate,Category
            (student[0..<6] + [date, descriptor + category]).joined(separator: ",")
        }
        let absences = [
            "StudentUniqueId,FirstName,LastSurname,BirthDate,SexDescriptor,SchoolId,EventDate,"
                + "AttendanceEventCategoryDescriptor",
            absence(a, "2026-09-15"),  // before A enrolled: not counted
            absence(a, "2026-10-06"), absence(a, "2026-10-07", "Excused Absence"), absence(a, "2026-10-20"),
            absence(a, "2026-11-03"), absence(a, "2026-11-20"),
            absence(b, "2026-08-20"), absence(b, "2026-09-07"),  // Labor Day: not instructional, not counted
            absence(b, "2026-09-09"), absence(b, "2026-09-22"), absence(b, "2026-09-29"),
            absence(b, "2026-10-05"),  // after B left: not counted
        ]
        try (absences.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("attendance-events-2026-11-20.csv"), atomically: true, encoding: .utf8)
        let enrollment = [
            "StudentUniqueId,SchoolId,EntryDate,ExitWithdrawDate",
            "\(a[0]),\(a[5]),2026-10-05,", "\(b[0]),\(b[5]),2026-08-17,2026-10-01",
        ]
        try (enrollment.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("enrollment-2026-11-20.csv"), atomically: true, encoding: .utf8)
        var calendar = ["SchoolId,Date,CalendarEventDescriptor"]
        for school in Set([a[5], b[5]]).sorted() {
            for offset in 0..<(7 * 15) {
                let date = day("2026-08-17").adding(days: offset)
                let event = instructional(date) ? "Instructional day" : "Holiday"
                calendar.append("\(school),\(date),uri://ed-fi.org/CalendarEventDescriptor#\(event)")
            }
        }
        try (calendar.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("calendar-2026-27.csv"), atomically: true, encoding: .utf8)
        try workspace.edit(
            "pipelines/sources/lakeside-edfi.yaml", replacing: "attendance: positive",
            with: "attendance: absences-only\nenrollment: \(inbox)/enrollment-*.csv\ncalendar: \(inbox)/calendar-*.csv")
    }

    @Test func absencesOnlyDistrictRatesMatchTheHandComputation() throws {
        let workspace = try SampleWorkspace()
        let students = try Self.linkedStudents(workspace)
        try #require(students.count == 2)
        try Self.reexportAbsencesOnly(workspace, students: students)
        let copied = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(summary.isBalanced)
            #expect(summary.failedSources.isEmpty, "\(summary.failedSources)")
            let stored = try db.execute(
                "SELECT count(*) FROM lastmile.school_enrollment WHERE source = $1", [Self.source]
            ).scalar
            #expect(stored == "2")
            func evidence(_ student: String) throws -> [String: String] {
                let row = try #require(
                    try db.execute(
                        """
                        SELECT f.tier, f.evidence::text AS evidence FROM lastmile.flag f
                        JOIN lastmile.source_crosswalk c ON c.patient_id = f.patient_id AND c.source = f.source
                        WHERE f.source = $1 AND c.source_person_id = $2 AND f.kind = 'chronic-absenteeism'
                        """, [Self.source, student]
                    ).rows.first)
                let json = try #require(row["evidence"]?.data(using: .utf8))
                var evidence = try JSONDecoder().decode([String: String].self, from: json)
                evidence["tier"] = row["tier"]
                return evidence
            }
            // A enrolls Monday 5 October: 5 October to 20 November is 7 weeks of 5 days less Veterans Day = 34
            // enrolled days; absent 6, 7, 20 October, 3 and 20 November (15 September was before the entry):
            // 5 / 34 = 0.1471, moderate.
            let a = try evidence(students[0][0])
            #expect(a["days_enrolled"] == "34")
            #expect(a["days_absent"] == "5")
            #expect(a["rate"] == "0.1471")
            #expect(a["tier"] == "moderate")
            #expect(a["basis"] == "enrollment-calendar")
            // B leaves: exit 1 October (the first day not enrolled), so 17 August to 30 September: six weeks
            // less Labor Day, then Monday to Wednesday = 5+5+5+4+5+5+3 = 32 enrolled days. Absent 20 August,
            // 9, 22 and 29 September (Labor Day and 5 October do not count): 4 / 32 = 0.1250, moderate.
            let b = try evidence(students[1][0])
            #expect(b["days_enrolled"] == "32")
            #expect(b["days_absent"] == "4")
            #expect(b["rate"] == "0.1250")
            #expect(b["tier"] == "moderate")

            // The same night again reads nothing and changes nothing.
            let before = try Self.digest(db)
            let again = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(again.sources.allSatisfy { $0.files == 0 && $0.filesSkipped == 3 })
            #expect(try Self.digest(db) == before)
            return before
        }
        // Merged through staging, the first night stores the same rows as copied straight in.
        let merged = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db) {
                $0.onlySources = [Self.source]
                $0.copyIntoEmptyTables = false
            }
            return try Self.digest(db)
        }
        #expect(merged == copied)
    }

    /// The new tables and the flags, without run ids.
    static func digest(_ db: Connection) throws -> [String: String] {
        try SampleWorkspace.digest(
            db,
            tables: [
                "school_enrollment": "source, student_id, school_id, entry_date, patient_id, exit_date",
                "school_calendar_day": "source, school_id, calendar_date, instructional",
                "attendance_day": "source, student_id, attendance_date, patient_id, status",
                "flag": "patient_id, kind, source, tier, status, period_start, period_end, evidence",
            ])
    }

    /// A student of an absences-only district is in review when the district sends their enrollment: the span
    /// (which names only the student) is held with the item, and the accept releases it, so the flag appears on
    /// the next run without the district sending the enrollment again.
    @Test func enrollmentSentWhileTheStudentIsInReviewIsHeldAndReleasedByTheAccept() throws {
        let workspace = try SampleWorkspace()
        let students = try Self.linkedStudents(workspace)
        try #require(students.count == 2)
        try Self.reexportAbsencesOnly(workspace, students: students)
        let (a, b) = (students[0], students[1])
        let folder = workspace.root.appendingPathComponent(Self.inbox)
        let header = "StudentUniqueId,SchoolId,EntryDate,ExitWithdrawDate\n"
        try (header + "\(b[0]),\(b[5]),2026-08-17,2026-10-01\n").write(
            to: folder.appendingPathComponent("enrollment-2026-11-20.csv"), atomically: true, encoding: .utf8)
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let first = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            // A goes to review as the matcher would send them: no link, an open item with its candidate.
            let link = try #require(
                try db.execute(
                    "SELECT patient_id, demographics_hash FROM lastmile.source_crosswalk WHERE source = $1 "
                        + "AND source_person_id = $2", [Self.source, a[0]]
                ).rows.first)
            let patient = try #require(link["patient_id"])
            try db.execute(
                "DELETE FROM lastmile.source_crosswalk WHERE source = $1 AND source_person_id = $2",
                [Self.source, a[0]])
            try db.execute(
                """
                INSERT INTO lastmile.review_queue (source, source_person_id, candidate_patient_id, reason,
                    demographics_hash, run_id) VALUES ($1, $2, $3, 'near-tie', $4, $5)
                """, [Self.source, a[0], patient, link["demographics_hash"], first.runId])

            try (header + "\(a[0]),\(a[5]),2026-10-05,\n").write(
                to: folder.appendingPathComponent("enrollment-2026-11-21.csv"), atomically: true, encoding: .utf8)
            let second = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(second.sources.first?.review == 1, "\(second.rendered())")
            #expect(second.isBalanced)

            let item = try #require(try ReviewQueue(connection: db).item(source: Self.source, sourcePersonId: a[0]))
            _ = try ClericalReview(connection: db, clock: reviewClock).accept(
                item.id, patient: nil, by: "jdoe", note: "same student")
            let third = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(third.sources.first?.releasedFromReview == 1, "\(third.rendered())")
            let evidence = try db.execute(
                """
                SELECT evidence->>'days_enrolled' FROM lastmile.flag
                WHERE source = $1 AND patient_id = $2 AND kind = 'chronic-absenteeism'
                """, [Self.source, patient]
            ).scalar
            #expect(evidence == "34")
        }
    }

    @Test func anAbsencesOnlyDistrictWithoutItsCalendarFailsAsASource() throws {
        let workspace = try SampleWorkspace()
        let students = try Self.linkedStudents(workspace)
        try #require(students.count == 2)
        try Self.reexportAbsencesOnly(workspace, students: students)
        try FileManager.default.removeItem(
            at: workspace.root.appendingPathComponent("\(Self.inbox)/calendar-2026-27.csv"))
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(
                summary.failedSources == [
                    FailedSource(
                        source: Self.source,
                        message: "calendar-*.csv: absences-only attendance counts enrolled days from its calendar "
                            + "file, and `calendar:` matches no file; place the district's calendar file there "
                            + "(the absences alone cannot give a rate)")
                ])
            #expect(try db.execute("SELECT count(*) FROM lastmile.attendance_day").scalar == "0")
            #expect(try db.execute("SELECT count(*) FROM lastmile.flag").scalar == "0")
        }
    }

    @Test func aggregateDistrictIsRatedOnItsReportedTotals() throws {
        let workspace = try SampleWorkspace()
        let students = try Self.linkedStudents(workspace)
        try #require(students.count == 2)
        let folder = workspace.root.appendingPathComponent(Self.inbox)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        }
        let (a, b) = (students[0], students[1])
        func totals(_ s: [String], _ asOf: String, _ absent: String, _ enrolled: Int) -> String {
            // student_id,first_name,last_name,birth_date,school_id,as_of_date,days_absent,days_enrolled
            "\(s[0]),\(s[1]),\(s[2]),\(s[3]),\(s[5]),\(asOf),\(absent),\(enrolled)"
        }
        let rows = [
            "student_id,first_name,last_name,birth_date,school_id,as_of_date,days_absent,days_enrolled",
            // A: 2 of 31 in September (6.45 %), 6.5 of 52 by 30 October: 0.1250, moderate.
            totals(a, "2026-09-30", "2", 31), totals(a, "2026-10-30", "6.5", 52),
            // B: 5 of 31 in September (16 %), 5 of 52 by 30 October: 9.6 %, at risk.
            totals(b, "2026-09-30", "5", 31), totals(b, "2026-10-30", "5", 52),
        ]
        try (rows.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("attendance-events-2026-10-30.csv"), atomically: true, encoding: .utf8)
        try workspace.edit(
            "pipelines/sources/lakeside-edfi.yaml", replacing: "attendance: positive", with: "attendance: aggregate")
        try workspace.edit("pipelines/sources/lakeside-edfi.yaml", replacing: "layout: edfi", with: "layout: aggregate")
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db) { $0.onlySources = [Self.source] }
            #expect(summary.isBalanced)
            #expect(summary.failedSources.isEmpty, "\(summary.failedSources)")
            let flags = try db.execute(
                """
                SELECT c.source_person_id, f.tier, f.evidence->>'rate' AS rate, f.evidence->>'days_enrolled' AS days
                FROM lastmile.flag f JOIN lastmile.source_crosswalk c ON c.patient_id = f.patient_id
                    AND c.source = f.source
                WHERE f.source = $1 ORDER BY c.source_person_id
                """, [Self.source]
            ).rows.map { "\($0["source_person_id"] ?? "") \($0["tier"] ?? "") \($0["rate"] ?? "") \($0["days"] ?? "")" }
            #expect(flags == ["\(a[0]) moderate 0.1250 52", "\(b[0]) at-risk 0.0962 52"])
        }
    }
}
