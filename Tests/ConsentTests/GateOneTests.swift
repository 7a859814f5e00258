import LastMileCore
import Testing

@testable import Consent

@Suite("Gate 1: agreements, restriction labels, minimisation")
struct GateOneTests {
    let gate = ConsentGate(policy: tablePolicy())

    @Test(arguments: [
        (RestrictionLabel.victimServiceProvider, ReasonCode.dropLabelVictimServiceProvider),
        (.juvenile, .dropLabelJuvenile),
        (.ferpaBasisMissing, .dropLabelFerpaBasisMissing),
        (.sealed, .dropLabelSealed),
        (.currentlyFleeing, .dropLabelCurrentlyFleeing),
        (RestrictionLabel(rawValue: "unheard-of"), .dropLabelOther),
    ])
    func restrictionLabelsDrop(label: RestrictionLabel, reason: ReasonCode) {
        let record = sourceRecord(attendance, source: "riverside-usd", labels: [label])
        let result = gate.admit(record, purpose: .treatment, on: runDate)
        #expect(result.admitted == nil)
        #expect(result.decision.reason == reason)
        #expect(result.decision.explanation.contains(label.rawValue))
    }

    @Test func aBuiltInLabelDecidesBeforeAnUnknownOne() {
        let record = sourceRecord(
            attendance, source: "riverside-usd", labels: [RestrictionLabel(rawValue: "aaa"), .sealed])
        #expect(gate.admit(record, purpose: .treatment, on: runDate).decision.reason == .dropLabelSealed)
    }

    @Test func labelsDropEvenWithoutAnAgreement() {
        let record = sourceRecord(attendance, source: "unknown", labels: [.juvenile])
        #expect(gate.admit(record, purpose: .treatment, on: runDate).decision.reason == .dropLabelJuvenile)
    }

    @Test(arguments: [
        ("unknown-district", PurposeOfUse.treatment, ReasonCode.dropAgreementMissing),
        ("coc-hmis", .treatment, .dropAgreementMissing),  // agreement exists for shelter, not education
        ("old-district", .treatment, .dropAgreementExpired),
        ("new-district", .treatment, .dropAgreementNotYetEffective),
        ("riverside-usd", .publicHealth, .dropAgreementPurposeNotCovered),
        ("riverside-usd", .treatment, .admitAgreement),
        ("riverside-usd", .careManagement, .admitAgreement),
    ])
    func agreementRules(source: String, purpose: PurposeOfUse, reason: ReasonCode) {
        let result = gate.admit(sourceRecord(attendance, source: source), purpose: purpose, on: runDate)
        #expect(result.decision.reason == reason, "\(result.decision.explanation)")
        #expect((result.admitted != nil) == reason.passes)
    }

    @Test func agreementDaysAreInclusive() {
        let record = sourceRecord(attendance, source: "riverside-usd")
        #expect(gate.admit(record, purpose: .treatment, on: day("2026-01-01")).admitted != nil)
        #expect(gate.admit(record, purpose: .treatment, on: day("2027-06-30")).admitted != nil)
        #expect(gate.admit(record, purpose: .treatment, on: day("2027-07-01")).decision.reason == .dropAgreementExpired)
        #expect(
            gate.admit(record, purpose: .treatment, on: day("2025-12-31")).decision.reason
                == .dropAgreementNotYetEffective)
    }

    @Test func minimisationKeepsOnlyPermittedAndNeededFields() throws {
        let admitted = try #require(
            gate.admit(sourceRecord(attendance, source: "riverside-usd"), purpose: .treatment, on: runDate).admitted)
        // tablePolicy permits given/family name, birth date, sex, postal code and ssn_last4.
        let p = admitted.person
        #expect(p.givenName == "Ada" && p.familyName == "Testperson" && p.birthDate == day("2014-05-01"))
        #expect(p.sex == .female && p.postalCode == "90000")
        #expect(p.sourcePersonId == nil && p.middleName == nil && p.suffix == nil)
        #expect(p.street == nil && p.city == nil && p.state == nil && p.phone == nil && p.ssn == nil)
        #expect(p.ssnLast4 == "6789", "derived from the full SSN, which is itself stripped")
        guard case .attendance(let a) = admitted.event else {
            Issue.record("event kind changed")
            return
        }
        #expect(a.schoolId == "S01" && a.date == day("2026-11-19") && a.status == .absentUnexcused)
        #expect(a.minutesAbsent == 400)
        #expect(a.schoolName == nil, "permitted or not, no flag needs it")
        #expect(a.grade == "04", "permitted, and the absenteeism flag carries it to the Monday list")
        #expect(admitted.provenance == Provenance(file: "test.csv", line: 2))
        #expect(admitted.recordId == "r-1")
    }

    @Test func eventFieldsTheAgreementDoesNotPermitAreStripped() throws {
        var policy = tablePolicy()
        policy.agreements[0].eventFields = EventField.required(for: .education)
        let admitted = try #require(
            ConsentGate(policy: policy).admit(
                sourceRecord(attendance, source: "riverside-usd"), purpose: .treatment, on: runDate
            )
            .admitted)
        guard case .attendance(let a) = admitted.event else {
            Issue.record("the admitted record is no longer attendance")
            return
        }
        #expect(a.minutesAbsent == nil)
    }

    @Test func bookingsKeepStatusAndDatesOnly() throws {
        let booking = SourceEvent.booking(
            Booking(
                bookingNumber: "B1", bookedAt: CivilDateTime(date: day("2026-11-01"), hour: 23, minute: 40),
                releasedAt: CivilDateTime(date: day("2026-11-03")), facility: "Main", chargeCount: 2, agency: "PD"))
        var policy = tablePolicy()
        policy.agreements[2].eventFields = Set(EventField.fields(of: .justice))
        let adult = PersonIdentity(givenName: "Bo", familyName: "Testperson", birthDate: day("1990-02-02"))
        let admitted = try #require(
            ConsentGate(policy: policy).admit(
                sourceRecord(booking, source: "county-jail", person: adult), purpose: .treatment, on: runDate
            )
            .admitted)
        guard case .booking(let b) = admitted.event else {
            Issue.record("the admitted record is no longer booking")
            return
        }
        #expect(b.bookingNumber == "B1" && b.releasedAt == CivilDateTime(date: day("2026-11-03")))
        #expect(b.facility == nil && b.chargeCount == nil && b.agency == nil)
    }

    @Test func aBookingOfSomeoneUnder18AtBookingIsDropped() {
        let booking = SourceEvent.booking(
            Booking(bookingNumber: "B1", bookedAt: CivilDateTime(date: day("2026-11-01"))))
        let minor = PersonIdentity(birthDate: day("2008-11-02"))  // 17 on the booking day, 18 on the run date
        let result = gate.admit(
            sourceRecord(booking, source: "county-jail", person: minor), purpose: .treatment, on: runDate)
        #expect(result.decision.reason == .dropMinorJustice)
        let adult = PersonIdentity(birthDate: day("2008-11-01"))
        #expect(
            gate.admit(sourceRecord(booking, source: "county-jail", person: adult), purpose: .treatment, on: runDate)
                .admitted != nil)
    }

    @Test func shelterHousingAndBedNightsAreMinimised() throws {
        let stay = SourceEvent.shelterStay(
            ShelterStay(
                enrollmentId: "E1", projectId: "PR1", projectType: 1, entryDate: day("2026-10-01"),
                exitDate: day("2026-11-01"), moveInDate: nil, exitDestination: 410))
        let s = try #require(
            gate.admit(sourceRecord(stay, source: "coc-hmis"), purpose: .treatment, on: runDate).admitted)
        #expect(s.event == stay)
        let housing = SourceEvent.housingStatus(
            HousingStatusEvent(
                recordId: "H1", recordType: .byNameList, status: .active, statusDate: day("2026-11-02"), program: "CE",
                householdId: "HH1"))
        let h = try #require(
            gate.admit(sourceRecord(housing, source: "ce-by-name-list"), purpose: .treatment, on: runDate).admitted)
        guard case .housingStatus(let e) = h.event else {
            Issue.record("the admitted record is no longer housingStatus")
            return
        }
        #expect(e.program == nil && e.householdId == nil && e.recordId == "H1")
        let night = SourceEvent.bedNight(BedNight(enrollmentId: "E1", projectType: 1, date: day("2026-11-19")))
        #expect(
            gate.admit(sourceRecord(night, source: "coc-hmis"), purpose: .treatment, on: runDate).admitted?.event
                == night)
    }

    @Test func decisionsNeverCarryPersonalData() {
        let records = [
            sourceRecord(attendance, source: "riverside-usd"),
            sourceRecord(attendance, source: "riverside-usd", labels: [.sealed]),
            sourceRecord(attendance, source: "old-district"),
        ]
        let personal = ["Ada", "Testperson", "2014-05-01", "90000", "5550100", "123456789", "6789", "S-1", "1 Test St"]
        for record in records {
            let text = gate.admit(record, purpose: .treatment, on: runDate).decision.description
            for value in personal { #expect(!text.contains(value)) }
        }
    }

    @Test func everyFieldHasItsOwnBit() {
        let person = PersonField.allCases.map(\.bit)
        let event = EventField.allCases.map(\.bit)
        #expect(Set(person).count == PersonField.allCases.count && !person.contains(0))
        #expect(Set(event).count == EventField.allCases.count && !event.contains(0))
        #expect(FieldMask.of(Set(PersonField.allCases)).nonzeroBitCount == PersonField.allCases.count)
    }

    @Test func theStaticMinimiserAgreesWithTheGate() throws {
        let policy = tablePolicy()
        let record = sourceRecord(attendance, source: "riverside-usd")
        let viaGate = try #require(ConsentGate(policy: policy).admit(record, purpose: .treatment, on: runDate).admitted)
        #expect(ConsentGate.minimise(record, under: policy.agreements[0]) == viaGate)
    }
}
