// Issue 16: the files that give an absences-only feed its enrolled days (an enrollment file and a school
// calendar, default and Ed-Fi shapes) and the aggregate shape's totals.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

/// A fixture date.
private func day(_ iso: String) -> CivilDate { CivilDate(iso: iso) ?? CivilDate(dayNumber: 0) }

@Suite struct AttendanceDenominatorTests {
    static var absencesOnly: SourceConfig {
        var config = SourceConfig.defaults(for: "school-attendance")
        config.name = "hillcrest-usd"
        config.attendance = .absencesOnly
        config.labels = [.sealed]
        return config
    }

    @Test func enrollmentRowsAreSpansThatNameOnlyTheStudent() throws {
        let csv = """
            student_id,school_id,entry_date,exit_date
            S-1,ELM,2026-08-17,
            S-2,ELM,08/17/2026,2026-10-02
            S-3,ELM,2026-09-01,2026-08-31
            S-4,,2026-09-01,

            """
        var sink = CollectingSink()
        try SchoolEnrollmentReader(source: Self.absencesOnly).extract(
            InputLocation(path: Scratch.csv(csv, name: "enrollment.csv")), into: &sink)
        let spans = sink.records.compactMap { r -> SchoolEnrollment? in
            if case .enrollment(let e) = r.event { e } else { nil }
        }
        #expect(
            spans == [
                SchoolEnrollment(schoolId: "ELM", entryDate: day("2026-08-17")),
                SchoolEnrollment(schoolId: "ELM", entryDate: day("2026-08-17"), exitDate: day("2026-10-02")),
            ])
        #expect(
            sink.records.map(\.person) == [
                PersonIdentity(sourcePersonId: "S-1"), PersonIdentity(sourcePersonId: "S-2"),
            ])
        #expect(sink.records.allSatisfy { $0.source == "hillcrest-usd" && $0.labels == [.sealed] })
        #expect(sink.records.first?.recordId == "enrollment/S-1/ELM/2026-08-17")
        #expect(
            sink.rejections.map(\.description) == [
                "enrollment.csv:4, column \"exit_date\": expected an exit date on or after the entry date",
                "enrollment.csv:5, column \"school_id\": a value is required",
            ])
    }

    @Test func edFiStudentSchoolAssociationIsReadWithTheEdFiLayout() throws {
        var config = Self.absencesOnly
        config.layout = "edfi"
        let csv =
            "StudentUniqueId,SchoolId,EntryDate,ExitWithdrawDate,EntryGradeLevelDescriptor\n"
            + "S-1,255901,2026-08-17,2026-12-18,uri://ed-fi.org/GradeLevelDescriptor#Fifth grade\n"
        var sink = CollectingSink()
        try SchoolEnrollmentReader(source: config).extract(InputLocation(path: Scratch.csv(csv)), into: &sink)
        #expect(
            sink.records.map(\.event) == [
                .enrollment(
                    SchoolEnrollment(
                        schoolId: "255901", entryDate: day("2026-08-17"), exitDate: day("2026-12-18")))
            ])
    }

    @Test func aCalendarIsReadWhole() throws {
        let csv = "school_id,date,instructional\nELM,2026-09-04,Y\nELM,2026-09-07,N\n"
        let days = try SchoolCalendarReader(source: Self.absencesOnly).read(InputLocation(path: Scratch.csv(csv)))
        #expect(
            days == [
                SchoolCalendarDay(schoolId: "ELM", date: day("2026-09-04"), instructional: true),
                SchoolCalendarDay(schoolId: "ELM", date: day("2026-09-07"), instructional: false),
            ])
    }

    @Test func aCalendarWithAnUnreadableRowIsRefused() {
        let csv = "school_id,date,instructional\nELM,2026-09-04,Y\nELM,2026-09-31,Y\n"
        let error = inputError {
            _ = try SchoolCalendarReader(source: Self.absencesOnly).read(
                InputLocation(path: Scratch.csv(csv, name: "calendar.csv")))
        }
        #expect(error?.code == "unusable-calendar-row")
        #expect(error?.exitStatus == .dataError)
        #expect(error?.description.hasPrefix("calendar.csv:3, column \"date\": not a date in") == true)
    }

    @Test func edFiCalendarDatesAreInstructionalByTheirEvent() throws {
        var config = Self.absencesOnly
        config.layout = "edfi"
        let csv = """
            SchoolId,Date,CalendarEventDescriptor
            255901,2026-09-04,uri://ed-fi.org/CalendarEventDescriptor#Instructional day
            255901,2026-09-07,uri://ed-fi.org/CalendarEventDescriptor#Holiday
            255901,2026-09-08,Make-up day

            """
        let days = try SchoolCalendarReader(source: config).read(InputLocation(path: Scratch.csv(csv)))
        #expect(days.map(\.instructional) == [true, false, true])
    }

    @Test func aggregateRowsAreTotalsToADate() throws {
        var config = SourceConfig.defaults(for: "school-attendance")
        config.attendance = .aggregate
        config.layout = "aggregate"
        #expect(config.validate().isEmpty)
        let csv = """
            student_id,first_name,last_name,birth_date,grade,school_id,as_of_date,days_absent,days_enrolled
            S-1,Ada,Ode,2015-04-02,05,ELM,2026-10-31,4.5,41
            S-2,Bo,Ode,2015-04-02,05,ELM,2026-10-31,x,41
            S-3,Cy,Ode,2015-04-02,05,ELM,2026-10-31,42,41

            """
        let sink = try extract(config, Scratch.csv(csv, name: "totals.csv"))
        #expect(
            sink.records.map(\.event) == [
                .attendanceTotals(
                    AttendanceTotals(
                        schoolId: "ELM", grade: "05", asOf: day("2026-10-31"), daysAbsent: 4.5, daysEnrolled: 41))
            ])
        #expect(sink.records.first?.person.givenName == "Ada")
        #expect(
            sink.rejections.map(\.description) == [
                "totals.csv:3, column \"days_absent\": expected a number of days of at least 0, e.g. 4 or 4.5",
                "totals.csv:4, column \"days_enrolled\": expected whole days enrolled, at least the days absent",
            ])
    }
}
