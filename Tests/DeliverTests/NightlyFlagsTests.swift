// The lists read flags exactly as the nightly run writes them (FlagStore), not only as these tests insert them.
import Consent
import Flags
import Foundation
import LastMileCore
import Logging
import TestSupport
import Testing
import Warehouse

@testable import Delivery
@testable import Pipeline
@testable import Store

@Suite struct NightlyFlagsTests {
    @Test func flagsWrittenByTheNightlyStoreReachTheListIntact() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let runId = try RunLedger(connection: db).start(
                pipeline: "nightly", asOf: day("2026-11-20"), at: reportClock.now)
            let evidence = [
                FlagEvidenceKey.daysAbsent: "14.5", FlagEvidenceKey.daysEnrolled: "66", FlagEvidenceKey.rate: "0.2197",
                FlagEvidenceKey.lastAbsence: "2026-11-20", FlagEvidenceKey.schoolId: "LK-3",
                FlagEvidenceKey.schoolName: "Lakeside Middle", FlagEvidenceKey.grade: "07",
                FlagEvidenceKey.previousRate: "0.2000",
            ]
            // A second district's flag for lakeside's patient: the list shows the more urgent one, once.
            let flags = [
                Flag(
                    patientId: "P900003", kind: .chronicAbsenteeism, tier: "severe",
                    codes: FlagCodes.codes(for: .chronicAbsenteeism, tier: "severe"), status: .active,
                    periodStart: day("2026-08-17"), evidence: evidence, source: "lakeside-edfi"),
                Flag(
                    patientId: "P900003", kind: .unshelteredHomelessness, tier: "",
                    codes: FlagCodes.codes(for: .unshelteredHomelessness), status: .active,
                    periodStart: day("2026-11-02"), evidence: [FlagEvidenceKey.contacts: "2"], source: "coc-hmis"),
            ]
            _ = try db.withTransaction { try FlagStore(connection: db).upsert(flags, runId: runId) }
            // The test policy has no agreement for lakeside-edfi: add one beside the others.
            let policy = testPolicyYAML.replacingOccurrences(
                of: "  - id: coc-hmis-roi-2026",
                with: """
                      - id: lakeside-edfi-dsa-2026
                        source: lakeside-edfi
                        category: education
                        legal_basis: FERPA-99.30
                        purposes: [TREAT]
                        recipient_roles: [pediatrics]
                        fields:
                          person: [source_person_id, given_name, family_name, birth_date, sex]
                          event: [school_id, date, status, minutes_absent]
                        effective: 2026-08-01
                        expires: 2027-07-31
                      - id: coc-hmis-roi-2026
                    """)
            let gate = ConsentGate(policy: try ConsentPolicy(yaml: policy, file: "test-policy.yaml"))
            let out = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: testConfig(outbox: out.url), gate: gate, clock: reportClock,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let (list, flagIds) = try report.build(
                practiceId: "lakeside-peds", practiceName: "Lakeside Pediatrics", weekOf: week1, on: reportDay)
            let row = try #require(list.rows.first)
            #expect(list.rows.count == 1)
            // 33.3% (riverside-usd) is more urgent than 22.0% (lakeside-edfi).
            #expect(row.ratePercent == "33.3%")
            #expect(row.otherFlags == [.unshelteredHomelessness])
            #expect(row.disclosedFlags.map(\.source) == ["riverside-usd", "coc-hmis"])
            #expect(flagIds.count == 3)

            let edfi = try #require(flagIds.keys.first { $0.source == "lakeside-edfi" })
            #expect(edfi.evidence == evidence)
            #expect(edfi.codes == FlagCodes.codes(for: .chronicAbsenteeism, tier: "severe"))
        }
    }
}
