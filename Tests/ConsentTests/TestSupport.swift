import Foundation
import LastMileCore
import Testing

@testable import Consent

/// Parses a test date; traps on a typo in the test itself.
func day(_ s: String) -> CivilDate { CivilDate(iso: s)! }

let runDate = day("2026-11-20")

/// A small policy for the decision table: one agreement per category, all in force on the run date.
func tablePolicy(model: ConsentPolicy.Model = .optOut, permitRequired: Bool = false) -> ConsentPolicy {
    func agreement(
        _ id: String, _ source: String, _ category: DataCategory, effective: String = "2026-01-01",
        expires: String = "2027-06-30"
    ) -> DataSharingAgreement {
        DataSharingAgreement(
            id: id, source: source, category: category, legalBasis: "HIPAA-TPO",
            purposes: [.treatment, .careManagement],
            recipientRoles: ["pediatrics", "primary-care", "parent-portal"],
            personFields: [.givenName, .familyName, .birthDate, .sex, .postalCode, .ssnLast4],
            eventFields: EventField.required(for: category).union(EventField.neededForFlags(category)),
            effective: day(effective), expires: day(expires), patientPermitRequired: permitRequired)
    }
    return ConsentPolicy(
        model: model,
        agreements: [
            agreement("school-dsa", "riverside-usd", .education),
            agreement("hmis-roi", "coc-hmis", .shelter),
            agreement("jail-mou", "county-jail", .justice),
            agreement("ce-dsa", "ce-by-name-list", .housing),
            agreement("old-dsa", "old-district", .education, effective: "2025-01-01", expires: "2025-12-31"),
            agreement("future-dsa", "new-district", .education, effective: "2027-01-01", expires: "2027-12-31"),
        ],
        minors: MinorsRules(
            ageOfMajority: 18, parentalAuthorityEndsAtMajority: [.education],
            adolescentProtectedCategories: [.shelter], parentFacingRoles: ["parent-portal"], justiceMinimumAge: 18),
        guardians: GuardianRules(acceptedGrantorRoles: [.self, .parent, .guardian, .court], courtOrdersFinal: true))
}

/// A directive with a single root provision, as the CSV format gives them.
func directive(
    _ id: String, _ type: ProvisionType, patient: String = "P1", recorded: String = "2026-10-01",
    status: ConsentDirective.Status = .active, grantor: GrantorRole = .self, categories: Set<DataCategory> = [],
    sources: Set<String> = [], purposes: Set<PurposeOfUse> = [], actors: Set<ConsentActor> = [],
    period: DateRange? = nil, nested: [Provision] = []
) -> ConsentDirective {
    ConsentDirective(
        id: id, status: status, patientId: patient, recorded: day(recorded), grantorRole: grantor,
        provision: Provision(
            type: type, period: period, actors: actors, purposes: purposes, categories: categories, sources: sources,
            provisions: nested))
}

func makeRequest(
    category: DataCategory = .education, source: String = "riverside-usd", purpose: PurposeOfUse = .treatment,
    recipient: Recipient? = nil, date: CivilDate = runDate, birthDate: CivilDate? = day("2014-05-01")
) -> ConsentRequest {
    ConsentRequest(
        patientId: "P1", category: category, source: source, purpose: purpose, recipient: recipient, date: date,
        patientBirthDate: birthDate)
}

/// A fully populated synthetic person (every field set) so minimisation is visible.
let fullPerson = PersonIdentity(
    sourcePersonId: "S-1", givenName: "Ada", middleName: "Q", familyName: "Testperson", suffix: "Jr",
    birthDate: day("2014-05-01"), sex: .female, street: "1 Test St", city: "Riverside", state: "CA",
    postalCode: "90000", phone: "5550100", ssn: "123456789", ssnLast4: nil)

func sourceRecord(
    _ event: SourceEvent, source: String, labels: Set<RestrictionLabel> = [], person: PersonIdentity = fullPerson
)
    -> SourceRecord
{
    SourceRecord(
        source: source, recordId: "r-1", person: person, event: event, labels: labels,
        provenance: Provenance(file: "test.csv", line: 2))
}

let attendance = SourceEvent.attendance(
    AttendanceDay(
        schoolId: "S01", schoolName: "Test Elementary", grade: "04", date: day("2026-11-19"),
        status: .absentUnexcused, minutesAbsent: 400))

func fixture(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try Data(contentsOf: url)
}

/// The repository root, found from this file's path (for the committed pipelines/ files).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
