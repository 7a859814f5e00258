// The held records' JSON writer against JSONEncoder: the same value, read back by JSONDecoder, equal as jsonb.
import Foundation
import LastMileCore
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct HeldRecordJSONTests {
    /// One record of each kind of event, with awkward text and with optionals both set and absent.
    static let records: [SourceRecord] = {
        let day = CivilDate(dayNumber: 20_777)
        let full = PersonIdentity(
            sourcePersonId: "S-1/2", givenName: "Jos\u{E9} \"JJ\"", middleName: "back\\slash", familyName: "O'Neil",
            suffix: "Jr", birthDate: CivilDate(iso: "2012-02-29"), sex: .other, street: "1 A St\nUnit 2",
            city: "Tab\there", state: "OR", postalCode: "97411", phone: "\u{1}5550100", ssn: "123456789",
            ssnLast4: "6789")
        let sparse = PersonIdentity(givenName: "Ann \u{1F600}")
        let events: [SourceEvent] = [
            .attendance(
                AttendanceDay(
                    schoolId: "S1", schoolName: "Lake", grade: "05", date: day, status: .absentUnexcused,
                    minutesAbsent: 30)),
            .attendance(AttendanceDay(schoolId: "S1", date: day, status: .present)),
            .enrollment(SchoolEnrollment(schoolId: "S2", entryDate: day, exitDate: day)),
            .enrollment(SchoolEnrollment(schoolId: "S2", entryDate: day)),
            .attendanceTotals(
                AttendanceTotals(schoolId: "S3", grade: "K", asOf: day, daysAbsent: 2.5, daysEnrolled: 40)),
            .attendanceTotals(AttendanceTotals(schoolId: "S3", asOf: day, daysAbsent: 3, daysEnrolled: 0)),
            .shelterStay(
                ShelterStay(
                    enrollmentId: "E1", projectId: "P1", projectType: 1, entryDate: day, exitDate: day,
                    moveInDate: day, exitDestination: 101)),
            .shelterStay(ShelterStay(enrollmentId: "E2", projectId: "P1", projectType: 13, entryDate: day)),
            .bedNight(BedNight(enrollmentId: "E1", projectType: 1, date: day)),
            .booking(
                Booking(
                    bookingNumber: "B1", bookedAt: CivilDateTime(date: day, hour: 23, minute: 40),
                    releasedAt: CivilDateTime(date: day, secondOfDay: 86_399), facility: "Main", chargeCount: 2,
                    agency: "Sheriff")),
            .booking(Booking(bookingNumber: "B2", bookedAt: CivilDateTime(date: day))),
            .housingStatus(
                HousingStatusEvent(
                    recordId: "H1", recordType: .byNameList, status: .active, statusDate: day,
                    program: "CE", householdId: "HH1")),
            .housingStatus(
                HousingStatusEvent(
                    recordId: "H2", recordType: .evictionFiling, status: .filed,
                    statusDate: day)),
        ]
        return events.enumerated().map { i, event in
            SourceRecord(
                source: "src-\(i)", recordId: "r\(i)", person: i.isMultiple(of: 2) ? full : sparse, event: event,
                labels: i == 0 ? [.sealed] : [], provenance: Provenance(file: "in/x-\(i).csv", line: i + 2))
        }
    }()

    @Test func readsBackAsTheRecordItWrote() throws {
        var json = HeldRecordJSON()
        for record in Self.records {
            json.write(record)
            #expect(try JSONDecoder().decode(SourceRecord.self, from: Data(json.bytes)) == record)
        }
    }

    @Test func isTheSameJSONBValueAsJSONEncoders() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var json = HeldRecordJSON()
        try TestDatabase.withFreshDatabase { url in
            let connection = try Connection(url)
            for record in Self.records {
                json.write(record)
                let ours = String(decoding: json.bytes, as: UTF8.self)
                let theirs = String(decoding: try encoder.encode(record), as: UTF8.self)
                let same = try connection.execute("SELECT $1::jsonb = $2::jsonb", [ours, theirs]).scalar
                #expect(same == "t", "\(record.recordId): \(ours) differs from \(theirs)")
            }
        }
    }
}
