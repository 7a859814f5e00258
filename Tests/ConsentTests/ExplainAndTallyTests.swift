import Foundation
import LastMileCore
import Testing

@testable import Consent

@Suite("Explain lines and the decision tally")
struct ExplainAndTallyTests {
    let directives = [
        directive("old-deny", .deny, recorded: "2026-01-01"),
        directive("new-permit", .permit, recorded: "2026-06-01"),
        directive("shelter-deny", .deny, categories: [.shelter]),
        directive("void", .deny, status: .enteredInError),
        directive("later", .deny, period: DateRange(start: day("2027-01-01"))),
        directive("peds-deny", .deny, actors: [.practice("riverside-peds")]),
    ]

    @Test func explainNamesEveryDirectiveAndTheDecidingRule() {
        let gate = ConsentGate(policy: tablePolicy())
        let lines = gate.explain(
            patientId: "P1", directives: directives, patientBirthDate: day("2012-01-01"), source: "riverside-usd",
            on: runDate)
        let text = lines.joined(separator: "\n")
        #expect(lines.first?.hasPrefix("consent model: opt-out") == true)
        #expect(text.contains("agreement school-dsa in force"))
        #expect(text.contains("directive old-deny: superseded by newer directive new-permit"))
        #expect(text.contains("directive shelter-deny: does not cover this (other data categories)"))
        #expect(text.contains("directive void: ignored, status entered-in-error"))
        #expect(text.contains("directive later: ignored, not yet effective"))
        #expect(
            text.contains("directive peds-deny: does not cover this (a deny to named recipients, enforced at delivery)")
        )
        #expect(lines.last == "  => permit.directive: permitted by directive new-permit")
        #expect(!text.contains("P1") && !text.contains("2012-01-01"), "no patient id or birth date in explain lines")
    }

    @Test func explainForARecipientShowsTheDeliveryDecision() {
        let gate = ConsentGate(policy: tablePolicy())
        let lines = gate.explain(
            patientId: "P1", directives: directives, patientBirthDate: nil, source: "riverside-usd",
            recipient: Recipient.pediatricPractice("riverside-peds"), on: runDate)
        #expect(lines.last == "  => deny.directive: denied by directive peds-deny; a deny overrides any permit")
    }

    @Test func explainWithoutASourceCoversEveryAgreement() {
        let gate = ConsentGate(policy: tablePolicy())
        let lines = gate.explain(patientId: "P1", directives: directives, patientBirthDate: nil, on: runDate)
        #expect(lines.filter { $0.hasPrefix("source ") }.count == 6)
        #expect(lines.contains("source coc-hmis, category shelter:"))
        #expect(lines.contains { $0.contains("=> deny.directive: denied by directive shelter-deny") })
        #expect(lines.contains { $0.contains("=> deny.agreement-expired: old-dsa expired 2025-12-31") })
        let unknown = gate.explain(
            patientId: "P1", directives: [], patientBirthDate: nil, source: "nowhere", on: runDate)
        #expect(unknown.last == "source nowhere: deny.agreement-missing: no agreement names this source")
    }

    @Test func theTallyCountsByReasonAndRoundTripsAsJSON() throws {
        let gate = ConsentGate(policy: tablePolicy())
        var tally = DecisionTally()
        for labels in [[], [RestrictionLabel.sealed], [.sealed], [.juvenile]] as [Set<RestrictionLabel>] {
            tally.record(
                gate.admit(
                    sourceRecord(attendance, source: "riverside-usd", labels: labels), purpose: .treatment, on: runDate
                ).decision)
        }
        tally.record(gate.evaluate(makeRequest(), directives: [directive("d", .deny)]))
        #expect(tally[.dropLabelSealed] == 2 && tally[.dropLabelJuvenile] == 1 && tally[.admitAgreement] == 1)
        #expect(tally[.denyDirective] == 1 && tally.total == 5 && tally.passed == 1 && tally.stopped == 4)
        #expect(
            tally.summaryLines == [
                "admit.agreement 1", "deny.directive 1", "drop.label.juvenile 1", "drop.label.sealed 2",
            ])
        var merged = DecisionTally()
        merged.record(.dropLabelSealed, count: 3)
        merged.merge(tally)
        #expect(merged[.dropLabelSealed] == 5)
        let json = try JSONEncoder().encode(tally)
        #expect(try JSONDecoder().decode(DecisionTally.self, from: json) == tally)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DecisionTally.self, from: Data(#"{"made.up":1}"#.utf8))
        }
    }

    @Test func reasonCodesAreStableAndUnique() {
        let codes = ReasonCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            #expect(["admit.", "drop.", "permit.", "deny."].contains { code.hasPrefix($0) })
        }
        #expect(ReasonCode.allCases.filter(\.passes) == [.admitAgreement, .permitDirective, .permitDefaultOptOut])
    }
}
