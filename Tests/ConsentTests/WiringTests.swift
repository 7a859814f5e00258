import LastMileCore
import Testing

@testable import Consent

@Suite("Helpers the pipeline and reports wire")
struct WiringTests {
    @Test func admitAllKeepsAdmittedRecordsAndTalliesEveryDecision() {
        let gate = ConsentGate(policy: tablePolicy())
        var tally = DecisionTally()
        let kept = gate.admitAll(
            [
                sourceRecord(attendance, source: "riverside-usd"),
                sourceRecord(attendance, source: "riverside-usd", labels: [.ferpaBasisMissing]),
                sourceRecord(attendance, source: "nowhere"),
            ], purpose: .treatment, on: runDate, tally: &tally)
        #expect(kept.count == 1 && kept[0].person.phone == nil)
        #expect(
            tally.summaryLines == ["admit.agreement 1", "drop.agreement-missing 1", "drop.label.ferpa-basis-missing 1"])
    }

    @Test func aFlagBecomesADeliveryRequest() {
        let flag = Flag(
            patientId: "P1", kind: .shelteredHomelessness, codes: [], status: .active, periodStart: runDate,
            source: "coc-hmis")
        let request = ConsentRequest(
            flag: flag, recipient: Recipient.pediatricPractice("riverside-peds"), date: runDate, patientBirthDate: nil)
        #expect(request.category == .shelter && request.source == "coc-hmis" && request.purpose == .treatment)
        let gate = ConsentGate(policy: tablePolicy())
        #expect(
            gate.evaluate(request, directives: [directive("d", .deny, categories: [.shelter])]).reason == .denyDirective
        )
    }

    @Test func recipientTokens() {
        #expect(
            Recipient(token: "practice:riverside-peds", practiceRoles: ["pediatrics"])
                == .pediatricPractice("riverside-peds"))
        #expect(
            Recipient(token: "role:primary-care", practiceRoles: ["pediatrics"]) == Recipient(roles: ["primary-care"]))
        #expect(Recipient(token: "practice:", practiceRoles: []) == nil)
        #expect(Recipient(token: "riverside-peds") == nil)
    }

    @Test func sourceConfigsMustNameAnAgreementWithTheirSource() {
        let policy = tablePolicy()
        let problems = policy.problems(with: [
            AgreementReference(source: "riverside-usd", agreementId: "school-dsa", file: "sources/riverside-usd.yaml"),
            AgreementReference(
                source: "riverside-usd", agreementId: "riverside-dsa", file: "sources/riverside-usd.yaml"),
            AgreementReference(source: "coc-hmis", agreementId: "school-dsa", file: "sources/coc-hmis.yaml"),
            AgreementReference(source: "lakeside", agreementId: "x", file: "sources/lakeside.yaml"),
        ])
        #expect(
            problems.map(\.description) == [
                "sources/riverside-usd.yaml: agreement: not in the consent policy; expected school-dsa",
                "sources/coc-hmis.yaml: agreement: school-dsa is an agreement with source riverside-usd, not coc-hmis",
                "sources/lakeside.yaml: agreement: not in the consent policy; no agreement names source lakeside",
            ])
    }
}
