// Proves each built-in extractor on golden synthetic inputs: the records it emits (golden files), and the
// rules that matter downstream, asserted one by one (corrections, labels, data-quality codes, charges).
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct SchoolAttendanceTests {
    @Test func defaultLayoutGolden() throws {
        let sink = try extract(.defaults(for: "school-attendance"), Fixtures.path("school-attendance-default.csv"))
        assertGolden(render(sink), "school-attendance-default.txt")
    }

    @Test func defaultLayoutRules() throws {
        let sink = try extract(.defaults(for: "school-attendance"), Fixtures.path("school-attendance-default.csv"))
        let ids = sink.records.map(\.recordId)
        // The day re-sent with another code has the same record id: a correction, not a new day.
        #expect(ids.filter { $0 == "S1001|2026-11-17" }.count == 2)
        let statuses = sink.records.compactMap { r -> AttendanceStatus? in
            if case .attendance(let d) = r.event { d.status } else { nil }
        }
        #expect(
            statuses == [
                .present, .absentUnexcused, .absentExcused, .tardy, .partialDay, .partialDay, .absentExcused, .present,
            ])
        // MM/DD/YYYY is a default date format.
        #expect(sink.records[2].person.birthDate == CivilDate(year: 2012, month: 4, day: 30))
        // An empty ferpa_basis labels the record; a present one does not.
        #expect(sink.records[3].labels == [.ferpaBasisMissing])
        #expect(sink.records[0].labels.isEmpty)
        // "male" maps to M, an unknown sex code to nil without losing the row.
        #expect(sink.records[4].person.sex == .male && sink.records[5].person.sex == nil)
        #expect(sink.records[4].person.familyName == "O'Brien, Jr")
        // A quoted newline in a name: the next row's line number is one further on.
        #expect(sink.records[7].provenance.line == 13 && sink.records[7].person.familyName == "Bell\nSmith")
        #expect(
            sink.rejections.map(\.code) == [
                "unparseable-date", "unknown-code", "missing-required", "not-an-integer", "wrong-field-count",
            ])
        #expect(sink.rejections.map(\.line) == [9, 10, 11, 12, 15])
        #expect(sink.rawRows.allSatisfy { $0 != nil })
    }

    @Test func edfiLayoutGolden() throws {
        var config = SourceConfig.defaults(for: "school-attendance")
        config.layout = "edfi"
        let sink = try extract(config, Fixtures.path("school-attendance-edfi.csv"))
        assertGolden(render(sink), "school-attendance-edfi.txt")
        let statuses = sink.records.compactMap { r -> AttendanceStatus? in
            if case .attendance(let d) = r.event { d.status } else { nil }
        }
        #expect(statuses == [.absentExcused, .absentUnexcused, .tardy, .partialDay, .present])
        #expect(sink.records.first?.person.sex == .female)
        // A state's own category is unknown until the source config maps it.
        #expect(sink.rejections.map(\.code) == ["unknown-code"])
        config.codes = ["attendance_code": ["Suspended": "absent-excused"]]
        #expect(try extract(config, Fixtures.path("school-attendance-edfi.csv")).rejections.isEmpty)
    }

    /// Issue 18: grade was blank on every Ed-Fi row because the layout had no grade column. An ODS export
    /// joins the student's school association for `EntryGradeLevelDescriptor`; the list shows it short.
    @Test func edfiGradeComesFromTheEntryGradeLevelDescriptor() throws {
        var config = SourceConfig.defaults(for: "school-attendance")
        config.layout = "edfi"
        let event = "uri://ed-fi.org/AttendanceEventCategoryDescriptor#In Attendance"
        let csv = """
            StudentUniqueId,FirstName,LastSurname,BirthDate,SchoolId,EventDate,AttendanceEventCategoryDescriptor,\
            EntryGradeLevelDescriptor
            L3001,Ida,Rhodes,2017-02-01,255901107,2026-11-16,\(event),uri://ed-fi.org/GradeLevelDescriptor#Third grade
            L3002,Eli,Wong,2021-05-05,255901107,2026-11-16,\(event),uri://ed-fi.org/GradeLevelDescriptor#Kindergarten
            L3003,Mo,Sato,2012-07-07,255901001,2026-11-16,\(event),uri://state.example/GradeLevelDescriptor#Grade 8A
            L3004,Al,Diaz,2012-07-08,255901001,2026-11-16,\(event),

            """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edfi-grade-\(UUID()).csv")
        try Data(csv.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let grades = try extract(config, url.path).records.map { r -> String? in
            if case .attendance(let d) = r.event { d.grade } else { "not attendance" }
        }
        #expect(grades == ["3", "K", "Grade 8A", nil])
        #expect(GradeLevel.short("TWELFTH GRADE") == "12")
        #expect(GradeLevel.short("07") == "07")
    }
}

@Suite struct HMISTests {
    @Test(arguments: ["hmis-fy2026", "hmis-fy2024"])
    func golden(folder: String) throws {
        let sink = try extract(.defaults(for: "hmis-csv"), Fixtures.path(folder))
        assertGolden(render(sink), "\(folder).txt")
    }

    @Test func rules() throws {
        let sink = try extract(.defaults(for: "hmis-csv"), Fixtures.path("hmis-fy2026"))
        let byId = Dictionary(sink.records.map { ($0.recordId, $0) }, uniquingKeysWith: { a, _ in a })
        // Full SSN with quality 1; refused (9) keeps nothing even with a value; partial keeps last four.
        #expect(byId["enrollment:E1"]?.person.ssn == "123456789")
        let refused = try #require(byId["enrollment:E3"]?.person)
        #expect(refused.ssn == nil && refused.ssnLast4 == nil && refused.givenName == nil && refused.birthDate == nil)
        #expect(byId["enrollment:E4"]?.person.ssn == nil && byId["enrollment:E4"]?.person.ssnLast4 == "4321")
        // A placeholder SSN is not an SSN; an approximate DOB (quality 2) is not kept.
        #expect(byId["enrollment:E5"]?.person.ssn == nil)
        #expect(byId["enrollment:E2"]?.person.birthDate == nil)
        // Victim service provider organisation, or a project for DV survivors: labelled.
        #expect(byId["enrollment:E5"]?.labels == [.victimServiceProvider])
        #expect(byId["enrollment:E4"]?.labels == [.victimServiceProvider])
        #expect(byId["enrollment:E1"]?.labels.isEmpty == true)
        // Exit joined, deleted exit ignored; deleted enrollment, deleted client and their bed nights skipped.
        if case .shelterStay(let stay)? = byId["enrollment:E1"]?.event {
            #expect(stay.exitDate == CivilDate(year: 2026, month: 11, day: 5) && stay.exitDestination == 101)
        } else {
            Issue.record("E1 is not a stay")
        }
        if case .shelterStay(let stay)? = byId["enrollment:E3"]?.event { #expect(stay.exitDate == nil) }
        #expect(byId["enrollment:E6"] == nil && byId["enrollment:E7"] == nil)
        // Only RecordType 200 rows that are not deleted become bed nights.
        #expect(
            sink.records.filter { $0.recordId.hasPrefix("bed-night:") }.map(\.recordId) == [
                "bed-night:S1", "bed-night:S2",
            ])
        #expect(sink.rejections.map(\.code) == ["unknown-reference"])
        #expect(sink.rejections.first?.file == "hmis-fy2026/Enrollment.csv")
        // M/D/YYYY (an Excel re-save) still reads.
        if case .shelterStay(let stay)? = byId["enrollment:E9"]?.event {
            #expect(stay.entryDate == CivilDate(year: 2026, month: 11, day: 2))
        }
    }

    @Test func fy2024HasNoSexButSamePeople() throws {
        let new = try extract(.defaults(for: "hmis-csv"), Fixtures.path("hmis-fy2026")).records
        let old = try extract(.defaults(for: "hmis-csv"), Fixtures.path("hmis-fy2024")).records
        #expect(new.map(\.recordId) == old.map(\.recordId))
        #expect(old.allSatisfy { $0.person.sex == nil })
        #expect(new.first?.person.sex == .male)
    }

    @Test func aFolderWithoutClientIsUnusable() throws {
        let dir = Scratch.root.appendingPathComponent("hmis-missing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["Export.csv", "Organization.csv", "Project.csv", "Enrollment.csv", "Exit.csv"] {
            try FileManager.default.copyItem(
                atPath: Fixtures.path("hmis-fy2026/\(name)"), toPath: dir.appendingPathComponent(name).path)
        }
        let error = inputError { _ = try extract(.defaults(for: "hmis-csv"), dir.path) }
        #expect(error?.problem == .missingFile(name: "Client.csv"))
        let notFolder = inputError { _ = try extract(.defaults(for: "hmis-csv"), Fixtures.path("jail-bookings.csv")) }
        #expect(notFolder?.code == "wrong-kind")
    }
}

@Suite struct JailBookingsTests {
    @Test func golden() throws {
        let sink = try extract(.defaults(for: "jail-bookings"), Fixtures.path("jail-bookings.csv"))
        assertGolden(render(sink), "jail-bookings.txt")
    }

    @Test func rules() throws {
        let sink = try extract(.defaults(for: "jail-bookings"), Fixtures.path("jail-bookings.csv"))
        let bookings = sink.records.compactMap { r -> Booking? in if case .booking(let b) = r.event { b } else { nil } }
        // The re-sent booking carries the same record id with its release.
        #expect(sink.records.map(\.recordId) == ["B26-000101", "B26-000102", "B26-000103", "B26-000104", "B26-000101"])
        #expect(bookings[0].releasedAt == nil && bookings[4].releasedAt?.description == "2026-11-18 10:30:00")
        #expect(bookings[1].bookedAt.description == "2026-11-12 08:15:00")
        #expect(bookings[2].bookedAt.description == "2026-11-15 02:05:00")
        // Charges become a count; an empty charges field is zero.
        #expect(bookings.map(\.chargeCount) == [2, 1, 1, 0, 2])
        // Juvenile Y, and a person under 18 at booking with juvenile empty, are both labelled.
        #expect(sink.records.map { $0.labels.contains(.juvenile) } == [false, false, true, true, false])
        #expect(sink.rejections.map(\.code) == ["invalid-value", "unparseable-date-time", "invalid-value"])
    }
}

@Suite struct HousingRegistryTests {
    @Test func golden() throws {
        let sink = try extract(.defaults(for: "housing-registry"), Fixtures.path("housing-registry.csv"))
        assertGolden(render(sink), "housing-registry.txt")
        let events = sink.records.compactMap { r -> HousingStatusEvent? in
            if case .housingStatus(let h) = r.event { h } else { nil }
        }
        #expect(events.map(\.status) == [.active, .housed, .filed, .judgment])
        #expect(events.map(\.recordType) == [.byNameList, .byNameList, .evictionFiling, .evictionFiling])
        #expect(sink.records[0].person.sourcePersonId == "C-77" && sink.records[2].person.sourcePersonId == nil)
        // A status of the other list, and an unknown status, are rejected.
        #expect(sink.rejections.map(\.code) == ["invalid-value", "unknown-code"])
    }
}
