import Foundation
import LastMileCore
import Reports
import Testing

/// The repository root, found from this file's path so tests run from any working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Compares `actual` with `Golden/<name>`; with LASTMILE_RECORD_GOLDEN=1 rewrites the file and fails, so a
/// recording run is never mistaken for a passing one.
func expectGolden(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = repositoryRoot.appendingPathComponent("Tests/ReportsTests/Golden/\(name)")
    if ProcessInfo.processInfo.environment["LASTMILE_RECORD_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: url)
        Issue.record("recorded \(name); run again without LASTMILE_RECORD_GOLDEN", sourceLocation: sourceLocation)
        return
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
        Issue.record("missing golden \(name); record it with LASTMILE_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    if expected != actual {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Array(zip(a, e)).firstIndex { $0.0 != $0.1 } ?? min(a.count, e.count)
        Issue.record(
            "\(name) differs from golden at line \(first + 1) (actual \(a.count) lines, golden \(e.count))",
            sourceLocation: sourceLocation)
    }
}

func day(_ s: String) -> CivilDate {
    guard let d = CivilDate(iso: s) else { preconditionFailure("bad test date") }
    return d
}

func loadTemplate() throws -> HTMLTemplate {
    try HTMLTemplate(
        directory: repositoryRoot.appendingPathComponent("pipelines/templates"), name: AbsenteeismList.htmlTemplateName)
}

/// A synthetic practice: five listed patients (one severe and worse, one moderate and new, one at risk, two
/// with other flags), plus one whose absenteeism flag closed. All names and ids are made up.
enum SamplePractice {
    static func absenteeism(
        _ patient: String, tier: String, absent: String, enrolled: Int, rate: String, previous: String?,
        last: String, school: String = "Riverside Elementary", grade: String = "04", status: FlagStatus = .active
    ) -> Flag {
        var evidence = [
            "days_absent": absent, "days_enrolled": String(enrolled), "rate": rate, "last_absence": last,
            "school_id": "RUSD-104", "school_name": school, "grade": grade,
        ]
        evidence["previous_rate"] = previous
        return Flag(
            patientId: patient, kind: .chronicAbsenteeism, tier: tier, codes: [], status: status,
            periodStart: day("2026-08-01"), periodEnd: status == .inactive ? day("2026-11-02") : nil,
            evidence: evidence,
            source: "riverside-usd")
    }

    static func other(_ patient: String, _ kind: FlagKind, _ status: FlagStatus = .active) -> Flag {
        Flag(
            patientId: patient, kind: kind, codes: [], status: status, periodStart: day("2026-10-01"),
            source: "coc-hmis")
    }

    static let patients: [ListedPatient] = [
        ListedPatient(
            patientId: "P000104", givenName: "Mateo", familyName: "Alvarez", birthDate: day("2016-03-09"),
            practicePatientId: "RP-2231",
            absenteeism: absenteeism(
                "P000104", tier: "moderate", absent: "7", enrolled: 61, rate: "0.1148", previous: "0.0893",
                last: "2026-11-18")),
        ListedPatient(
            patientId: "P000117", givenName: "Ava", familyName: "O'Brien", birthDate: day("2014-11-23"),
            practicePatientId: "RP-0410",
            absenteeism: absenteeism(
                "P000117", tier: "severe", absent: "15.5", enrolled: 66, rate: "0.2348", previous: "0.2258",
                last: "2026-11-20", school: "Riverside Middle", grade: "07"),
            otherFlags: [
                other("P000117", .shelteredHomelessness), other("P000117", .incarceration),
                other("P000117", .housingInstability, .inactive),
            ]),
        ListedPatient(
            patientId: "P000130", givenName: "José", familyName: "Núñez", birthDate: day("2012-01-30"),
            absenteeism: absenteeism(
                "P000130", tier: "moderate", absent: "8", enrolled: 66, rate: "0.1212", previous: "0.1212",
                last: "2026-11-10", school: "Riverside Middle", grade: "09"),
            otherFlags: [other("P000130", .recentRelease), other("P000130", .recentRelease)]),
        ListedPatient(
            patientId: "P000142", givenName: "Lily", familyName: "Chen", birthDate: day("2019-06-15"),
            practicePatientId: "RP-3307",
            absenteeism: absenteeism(
                "P000142", tier: "at-risk", absent: "4", enrolled: 66, rate: "0.0606", previous: "0.0476",
                last: "2026-11-19", grade: "K")),
        ListedPatient(
            patientId: "P000155", givenName: "Noah", familyName: "Baker", birthDate: day("2015-09-01"),
            absenteeism: absenteeism(
                "P000155", tier: "severe", absent: "14", enrolled: 66, rate: "0.2121", previous: "0.2333",
                last: "2026-11-16")),
        ListedPatient(
            patientId: "P000168", givenName: "Emma", familyName: "Diaz", birthDate: day("2016-02-02"),
            absenteeism: absenteeism(
                "P000168", tier: "moderate", absent: "5", enrolled: 50, rate: "0.1000", previous: "0.1100",
                last: "2026-10-01", status: .inactive)),
    ]

    /// The sample list, its district's attendance data through `through` and the list made on `madeOn`.
    static func list(dataThrough through: CivilDate = day("2026-11-20"), madeOn: CivilDate = day("2026-11-23"))
        -> AbsenteeismList
    {
        var list = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: day("2026-11-25"),
            patients: patients)
        list.dataFreshness = list.freshness(from: [
            SourceFreshness(source: "riverside-usd", dataThrough: through, madeOn: madeOn, staleAfterDays: 10),
            SourceFreshness(source: "lakeside-edfi", dataThrough: through, madeOn: madeOn, staleAfterDays: 10),
        ])
        return list
    }

    /// The sample list with fresh data (through Friday 2026-11-20, made Monday 2026-11-23).
    static var list: AbsenteeismList { list() }
}
