import LastMileCore
import Testing

@testable import Consent

/// Gate 1 admits a source's records under the agreement its source config names (`agreement:`), and the
/// policy's cross-check refuses a reference that is unknown, another source's, another category's or not in force.
@Suite struct SourceAgreementTests {
    @Test func gateOneUsesTheAgreementTheSourceConfigNames() {
        let record = sourceRecord(attendance, source: "riverside-usd")
        let named = ConsentGate(policy: tablePolicy(), sourceAgreements: ["riverside-usd": "school-dsa"])
        #expect(named.admit(record, purpose: .treatment, on: runDate).decision.rule == "agreements[school-dsa]")
        // A config naming an agreement the policy does not have admits nothing, even though the policy has an
        // agreement with the source.
        let wrong = ConsentGate(policy: tablePolicy(), sourceAgreements: ["riverside-usd": "school-dsa-2025"])
        let decision = wrong.admit(record, purpose: .treatment, on: runDate).decision
        #expect(decision.reason == .dropAgreementMissing)
        #expect(decision.explanation.contains("school-dsa-2025"))
    }

    @Test func theCrossCheckNamesEveryBadReferenceWithItsPosition() {
        let at = ConfigPosition(line: 7, column: 1)
        func ref(_ source: String, _ id: String, _ category: DataCategory) -> AgreementReference {
            AgreementReference(
                source: source, agreementId: id, file: "\(source).yaml", category: category, position: at)
        }
        let problems = tablePolicy().problems(
            with: [
                ref("riverside-usd", "school-dsa", .education),  // fine
                ref("coc-hmis", "coc-hmis-dsa", .shelter),  // unknown id
                ref("county-jail", "hmis-roi", .justice),  // another source's
                ref("coc-hmis", "hmis-roi", .housing),  // another category
                ref("old-district", "old-dsa", .education),  // expired on the run date
                ref("new-district", "future-dsa", .education),  // not yet in force
            ], on: runDate)
        #expect(
            problems.map(\.description) == [
                "coc-hmis.yaml:7:1: agreement: not in the consent policy; expected hmis-roi",
                "county-jail.yaml:7:1: agreement: hmis-roi is an agreement with source coc-hmis, not county-jail",
                "coc-hmis.yaml:7:1: agreement: hmis-roi covers shelter data, not housing",
                "old-district.yaml:7:1: agreement: old-dsa expired 2025-12-31 (the run is for 2026-11-20); "
                    + "renew it in the consent policy",
                "new-district.yaml:7:1: agreement: future-dsa takes effect 2027-01-01, after the run date 2026-11-20",
            ])
    }
}
