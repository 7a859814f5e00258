// Proves issue 16 item 1: the enrolled days (the rate's denominator) of absences-only feeds come from the
// enrollment spans and the school calendar, and aggregate feeds' from their reported totals; positive
// attendance is unchanged.
import Flags
import LastMileCore
import Testing

@Suite struct AttendanceShapeRuleTests {
    static let source = "lakeside-usd"

    /// September 2026 at school S01: weekdays, Labor Day (Monday 7th) off. 1 September is a Tuesday.
    static func september(school: String = "S01") -> [(source: String, day: SchoolCalendarDay)] {
        (1...30).map { dayOfMonth in
            let date = Fixture.date("2026-09-01").adding(days: dayOfMonth - 1)
            let weekday = (dayOfMonth + 1) % 7  // 0 Sunday … 6 Saturday; the 1st is a Tuesday (2)
            let instructional = weekday != 0 && weekday != 6 && dayOfMonth != 7
            return (source, SchoolCalendarDay(schoolId: school, date: date, instructional: instructional))
        }
    }

    private func absent(_ date: String, school: String = "S01") -> SourceEvent {
        .attendance(
            AttendanceDay(schoolId: school, grade: "05", date: Fixture.date(date), status: .absentUnexcused))
    }

    private func enrolled(_ entry: String, until exit: String? = nil, school: String = "S01") -> SourceEvent {
        .enrollment(
            SchoolEnrollment(schoolId: school, entryDate: Fixture.date(entry), exitDate: exit.map(Fixture.date)))
    }

    private func flag(
        _ events: [SourceEvent], asOf: String, calendars: SchoolCalendars = SchoolCalendars(september())
    ) -> Flag? {
        var patient = PatientEvents(patientId: "P000001")
        for event in events { patient.append(event, from: Self.source) }
        return FlagDeriver(calendars: calendars).flags(for: patient, asOf: Fixture.date(asOf))
            .first { $0.kind == .chronicAbsenteeism }
    }

    @Test func absencesOnlyStudentWhoEnrollsMidYearCountsInstructionalDaysFromEntry() throws {
        // Entered Monday 14 September; absent 15, 16, 17. Enrolled days to 30 September: 14–18 (5), 21–25 (5),
        // 28–30 (3) = 13. Rate 3 / 13 = 0.2308: severe.
        let f = try #require(
            flag(
                [enrolled("2026-09-14"), absent("2026-09-15"), absent("2026-09-16"), absent("2026-09-17")],
                asOf: "2026-09-30"))
        #expect(f.evidence["days_absent"] == "3")
        #expect(f.evidence["days_enrolled"] == "13")
        #expect(f.evidence["rate"] == "0.2308")
        #expect(f.tier == "severe")
        #expect(f.status == .active)
        #expect(f.evidence["basis"] == "enrollment-calendar")
        #expect(f.evidence["school_id"] == "S01")
        #expect(f.evidence["last_absence"] == "2026-09-17")
    }

    @Test func absencesOnlyStudentWhoLeavesStopsCountingAtTheExit() throws {
        // Enrolled 1 September, exit 21 September (first day not enrolled): 1–4 (4), 8–11 (4), 14–18 (5) = 13
        // days. Absent 2 and 9 September count; Labor Day (not instructional) and the 22nd (after the exit)
        // do not. Rate 2 / 13 = 0.1538: moderate.
        let events = [
            enrolled("2026-09-01", until: "2026-09-21"), absent("2026-09-02"), absent("2026-09-07"),
            absent("2026-09-09"), absent("2026-09-22"),
        ]
        let f = try #require(flag(events, asOf: "2026-09-30"))
        #expect(f.evidence["days_absent"] == "2")
        #expect(f.evidence["days_enrolled"] == "13")
        #expect(f.evidence["rate"] == "0.1538")
        #expect(f.tier == "moderate")
    }

    @Test func twelveAbsencesAreNotTwelveOfTwelveDays() throws {
        // The report of issue 16: 12 absence rows read as positive attendance were days_absent 12 of 12.
        let days = ["01", "02", "03", "04", "08", "09", "10", "11", "14", "15", "16", "17"]
        let absences = days.map { absent("2026-09-\($0)") }
        let positive = try #require(flag(absences, asOf: "2026-09-30", calendars: SchoolCalendars()))
        #expect(positive.evidence["rate"] == "1.0000")
        // With the enrollment span and the calendar: 21 instructional days in September.
        let f = try #require(flag([enrolled("2026-08-20")] + absences, asOf: "2026-09-30"))
        #expect(f.evidence["days_enrolled"] == "21")
        #expect(f.evidence["days_absent"] == "12")
        #expect(f.evidence["rate"] == "0.5714")
    }

    @Test func enrolledDaysStopAtTheExportsDataDate() throws {
        // The export covers days to 25 September: 28–30 are not yet known, so not counted. 3 / 10 = 0.3.
        let calendars = SchoolCalendars(
            Self.september(), dataThrough: [Self.source: Fixture.date("2026-09-25")])
        let events = [enrolled("2026-09-14"), absent("2026-09-15"), absent("2026-09-16"), absent("2026-09-17")]
        let f = try #require(flag(events, asOf: "2026-09-30", calendars: calendars))
        #expect(f.evidence["days_enrolled"] == "10")
        #expect(f.evidence["rate"] == "0.3000")
    }

    @Test func aTransferAddsTheSecondSchoolsCalendar() throws {
        // S01 from 1 to 11 September (8 days), then S02, whose calendar has only Mondays to Thursdays: 14–17,
        // 21–24, 28–30 = 11 days. 19 enrolled days, 2 absences: 0.1053.
        let s02 = Self.september(school: "S02").map { entry in
            var day = entry.day
            let weekday = (day.date.day + 1) % 7
            if weekday == 5 { day.instructional = false }
            return (source: entry.source, day: day)
        }
        let calendars = SchoolCalendars(Self.september() + s02)
        let events = [
            enrolled("2026-09-01", until: "2026-09-14"), enrolled("2026-09-14", school: "S02"),
            absent("2026-09-02"), absent("2026-09-18", school: "S02"), absent("2026-09-22", school: "S02"),
        ]
        let f = try #require(flag(events, asOf: "2026-09-30", calendars: calendars))
        #expect(f.evidence["days_enrolled"] == "19")
        #expect(f.evidence["days_absent"] == "2")
        #expect(f.evidence["school_id"] == "S02")
    }

    @Test func absencesWithoutAnEnrollmentSpanRaiseNoFlag() {
        let absences = (1...4).map { absent("2026-09-0\($0)") }
        #expect(flag(absences, asOf: "2026-09-30") == nil)
    }

    // MARK: Aggregate

    private func totals(_ asOf: String, absent: Double, enrolled: Int, school: String = "S01") -> SourceEvent {
        .attendanceTotals(
            AttendanceTotals(
                schoolId: school, grade: "05", asOf: Fixture.date(asOf), daysAbsent: absent, daysEnrolled: enrolled))
    }

    @Test func aggregateTotalsAreTheRate() throws {
        let f = try #require(
            flag(
                [totals("2026-09-30", absent: 2, enrolled: 20), totals("2026-10-31", absent: 4.5, enrolled: 41)],
                asOf: "2026-11-05", calendars: SchoolCalendars()))
        #expect(f.evidence["days_absent"] == "4.5")
        #expect(f.evidence["days_enrolled"] == "41")
        #expect(f.evidence["rate"] == "0.1098")
        #expect(f.evidence["basis"] == "reported-totals")
        #expect(f.evidence["totals_as_of"] == "2026-10-31")
        #expect(f.evidence["previous_rate"] == "0.1000")
        #expect(f.tier == "moderate")
        #expect(f.status == .active)
        // A report after the as-of date does not count yet.
        let early = try #require(
            flag(
                [totals("2026-09-30", absent: 2, enrolled: 20), totals("2026-10-31", absent: 8, enrolled: 41)],
                asOf: "2026-10-15", calendars: SchoolCalendars()))
        #expect(early.evidence["rate"] == "0.1000")
    }

    @Test func aggregateFlagClosesOnTheReportThatRecovers() throws {
        let f = try #require(
            flag(
                [totals("2026-09-30", absent: 2, enrolled: 20), totals("2026-10-31", absent: 2, enrolled: 41)],
                asOf: "2026-11-05", calendars: SchoolCalendars()))
        #expect(f.status == .inactive)
        #expect(f.periodEnd == Fixture.date("2026-10-31"))
        #expect(f.tier == "moderate")
    }

    @Test func aggregateTransferKeepsTheFirstSchoolsTotals() throws {
        // S01 reported 2 of 20 in September; the student moved, and S02 reports 1 of 21 in October: 3 of 41.
        let f = try #require(
            flag(
                [
                    totals("2026-09-30", absent: 2, enrolled: 20),
                    totals("2026-10-31", absent: 1, enrolled: 21, school: "S02"),
                ],
                asOf: "2026-11-05", calendars: SchoolCalendars()))
        #expect(f.evidence["days_absent"] == "3")
        #expect(f.evidence["days_enrolled"] == "41")
        #expect(f.evidence["school_id"] == "S02")
        #expect(f.tier == "at-risk")
    }

    @Test func aggregateBelowTheEnrolledDayFloorRaisesNoFlag() {
        #expect(
            flag([totals("2026-08-31", absent: 9, enrolled: 9)], asOf: "2026-09-01", calendars: SchoolCalendars())
                == nil)
    }
}
