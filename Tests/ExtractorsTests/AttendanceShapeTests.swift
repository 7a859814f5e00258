// Issue 16: an absence-only attendance export read as positive attendance counts every listed day as an
// enrolled day and rates every student 100 % absent. Such a file is refused, and `attendance: absences-only`
// is refused by validation until it names an enrollment file and a calendar.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct AttendanceShapeTests {
    static let header =
        "student_id,first_name,last_name,birth_date,school_id,attendance_date,attendance_code\n"

    /// Twelve absence rows for one student: what a PowerSchool "absences" export sends.
    static var absenceOnly: String {
        header
            + (1...12).map { day in
                "S-9,Ada,Ode,2015-04-02,ELM,2026-11-\(String(format: "%02d", day)),\(day % 3 == 0 ? "E" : "A")\n"
            }.joined()
    }

    @Test func anAbsenceOnlyFileConfiguredAsPositiveIsRefused() throws {
        let path = Scratch.csv(Self.absenceOnly, name: "absences-2026-11.csv")
        let error = try #require(inputError { _ = try extract(.defaults(for: "school-attendance"), path) })
        #expect(error.problem == .looksAbsenceOnly(rows: 12))
        #expect(error.code == "looks-absence-only")
        #expect(error.exitStatus == .dataError)
        #expect(
            error.description
                == "absences-2026-11.csv: looks absence-only: no present code in 12 rows; "
                + "declare `attendance: absences-only` with an enrollment file and a calendar")
        // Counts and the file name only: nothing of the rows.
        for personal in ["S-9", "Ada", "Ode", "2015", "ELM"] { #expect(!error.description.contains(personal)) }
    }

    @Test func theEdFiLayoutIsCheckedToo() throws {
        var config = SourceConfig.defaults(for: "school-attendance")
        config.layout = "edfi"
        let csv = """
            StudentUniqueId,FirstName,LastSurname,BirthDate,SchoolId,EventDate,AttendanceEventCategoryDescriptor
            S-9,Ada,Ode,2015-04-02,255901,2026-11-16,uri://ed-fi.org/AttendanceEventCategoryDescriptor#Excused Absence
            S-9,Ada,Ode,2015-04-02,255901,2026-11-17,uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy

            """
        let error = inputError { _ = try extract(config, Scratch.csv(csv, name: "events.csv")) }
        #expect(error?.problem == .looksAbsenceOnly(rows: 2))
    }

    @Test func onePresentDayAnywhereInTheFileIsEnough() throws {
        // The present row is itself rejected (a bad date); its code still shows the feed is positive.
        let csv =
            Self.absenceOnly + "S-9,Ada,Ode,2015-04-02,ELM,13/13/2026,P\n"
        let sink = try extract(.defaults(for: "school-attendance"), Scratch.csv(csv))
        #expect(sink.records.count == 12)
        #expect(sink.rejections.count == 1)
    }

    @Test func aFileWithoutRowsOrDeclaredAbsencesOnlyIsNotRefused() throws {
        #expect(try extract(.defaults(for: "school-attendance"), Scratch.csv(Self.header)).records.isEmpty)
        // Declared absences-only (validation refuses it until the denominator exists; the extractor reads it).
        var config = SourceConfig.defaults(for: "school-attendance")
        config.attendance = .absencesOnly
        let extractor = try SchoolAttendanceExtractor(source: config)
        var sink = CollectingSink()
        try extractor.extract(InputLocation(path: Scratch.csv(Self.absenceOnly)), into: &sink)
        #expect(sink.records.count == 12)
    }

    @Test func theShippedSchoolSourcesLoadTheirSamplesUnchanged() throws {
        let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        for (source, folder) in [("riverside-usd", "riverside-usd"), ("lakeside-edfi", "lakeside-edfi")] {
            let config = try SourceConfig.load(
                path: repository.appendingPathComponent("pipelines/sources/\(source).yaml").path)
            #expect(config.attendance == .positive)
            let inbox = repository.appendingPathComponent("sample-data/inbox/\(folder)")
            let files = try FileManager.default.contentsOfDirectory(atPath: inbox.path).filter { $0.hasSuffix(".csv") }
            #expect(!files.isEmpty)
            for file in files {
                let sink = try extract(config, inbox.appendingPathComponent(file).path)
                #expect(!sink.records.isEmpty)
            }
        }
    }

    // MARK: - Config

    func problems(_ extra: String, extractor: String = "school-attendance") -> [String] {
        let yaml = """
            source: hillcrest-usd
            extractor: \(extractor)
            category: education
            agreement: hillcrest-usd-dsa-2027
            \(extra)
            """
        let (config, problems) = SourceConfig.parse(yaml: yaml, file: "hillcrest-usd.yaml")
        return (problems + (config?.validate() ?? [])).map(\.description)
    }

    @Test func theShapeDefaultsToPositiveAndReadsEveryValue() throws {
        let (config, _) = SourceConfig.parse(
            yaml: "source: a\nextractor: school-attendance\ncategory: education\nagreement: x\n", file: "a.yaml")
        #expect(config?.attendance == .positive)
        #expect(problems("attendance: positive").isEmpty)
        let (parsed, _) = SourceConfig.parse(
            yaml: "source: a\nextractor: school-attendance\nattendance: absences-only\nenrollment: e.csv\n"
                + "calendar: c.csv\n",
            file: "a.yaml")
        #expect(parsed?.attendance == .absencesOnly)
        #expect(parsed?.enrollment == "e.csv" && parsed?.calendar == "c.csv")
    }

    @Test func anUnknownShapeIsAConfigErrorWithItsPosition() {
        #expect(
            problems("attendance: absent-only") == [
                "hillcrest-usd.yaml:5:13: attendance: expected one of positive, absences-only, aggregate"
            ])
    }

    @Test func absencesOnlyWithoutADenominatorIsRefused() {
        let found = problems("attendance: absences-only\ncalendar: calendar-2026.csv")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("hillcrest-usd.yaml:5:1: attendance: absences-only attendance has no") == true)
        #expect(found.first?.contains("`enrollment:` file") == true)
        #expect(found.first?.contains("`calendar:`") == false)
    }

    @Test func shapesWithADenominatorAreAccepted() {
        #expect(problems("attendance: absences-only\nenrollment: e.csv\ncalendar: c.csv").isEmpty)
        #expect(problems("attendance: aggregate\nlayout: aggregate").isEmpty)
    }

    @Test func aggregateNeedsItsLayoutAndTheLayoutItsShape() {
        #expect(
            problems("attendance: aggregate") == [
                "hillcrest-usd.yaml:5:1: attendance: aggregate attendance reads days absent and enrolled per student; "
                    + "add `layout: aggregate`"
            ])
        #expect(
            problems("layout: aggregate") == [
                "hillcrest-usd.yaml:5:1: layout: the aggregate layout is for `attendance: aggregate` sources"
            ])
    }

    @Test func onlyAbsencesOnlyTakesAnEnrollmentFileOrACalendar() {
        #expect(
            problems("enrollment: e.csv") == [
                "hillcrest-usd.yaml:5:1: enrollment: only `attendance: absences-only` sources take enrollment; "
                    + "positive attendance has its own enrolled days"
            ])
    }

    @Test func onlySchoolAttendanceTakesTheShape() {
        let found = problems("attendance: positive", extractor: "jail-bookings")
        #expect(found.contains("hillcrest-usd.yaml:5:1: attendance: only school-attendance sources take attendance"))
    }
}
