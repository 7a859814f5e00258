import LastMileCore
import Testing

@testable import Consent

/// One row of the gate 2 / delivery decision table.
struct DecisionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var policy: ConsentPolicy = tablePolicy()
    var directives: [ConsentDirective] = []
    var request: ConsentRequest = makeRequest()
    var reason: ReasonCode
    var ids: [String] = []

    var testDescription: String { name }
}

let peds = Recipient(practiceId: "riverside-peds", roles: ["pediatrics"])
let otherPeds = Recipient(practiceId: "lakeside-peds", roles: ["pediatrics"])
let parentPortal = Recipient(practiceId: "portal", roles: ["parent-portal"])
let adultBirth = day("2008-11-20")  // 18 on the run date
let childBirth = day("2012-03-01")

let decisionTable: [DecisionCase] = [
    // Model defaults
    DecisionCase(name: "opt-out, no directive: permit by default", reason: .permitDefaultOptOut),
    DecisionCase(
        name: "opt-in, no directive: deny by default", policy: tablePolicy(model: .optIn), reason: .denyDefaultOptIn),
    DecisionCase(
        name: "opt-in, a permit applies", policy: tablePolicy(model: .optIn), directives: [directive("d1", .permit)],
        reason: .permitDirective, ids: ["d1"]),
    DecisionCase(
        name: "opt-out, a deny applies", directives: [directive("d1", .deny)], reason: .denyDirective, ids: ["d1"]),
    // Deny overrides across directives
    DecisionCase(
        name: "deny and permit of different scopes: deny wins",
        directives: [
            directive("d1", .permit, categories: [.education]), directive("d2", .deny, purposes: [.treatment]),
        ],
        reason: .denyDirective, ids: ["d2"]),
    DecisionCase(
        name: "two denies are both named",
        directives: [directive("d2", .deny), directive("d1", .deny, categories: [.education])],
        reason: .denyDirective, ids: ["d1", "d2"]),
    // Scope
    DecisionCase(
        name: "deny of another category does not apply", directives: [directive("d1", .deny, categories: [.shelter])],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny of another source does not apply", directives: [directive("d1", .deny, sources: ["coc-hmis"])],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny of this source applies", directives: [directive("d1", .deny, sources: ["riverside-usd"])],
        reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "deny of another purpose does not apply", directives: [directive("d1", .deny, purposes: [.publicHealth])],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "another patient's deny is ignored", directives: [directive("d1", .deny, patient: "P2")],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny by security label LIVARG applies to housing",
        directives: [
            ConsentDirective(
                id: "d1", status: .active, patientId: "P1", recorded: day("2026-10-01"), grantorRole: .self,
                provision: Provision(type: .deny, securityLabels: ["LIVARG"]))
        ],
        request: makeRequest(category: .housing, source: "ce-by-name-list"), reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "deny by security label LIVARG does not apply to education",
        directives: [
            ConsentDirective(
                id: "d1", status: .active, patientId: "P1", recorded: day("2026-10-01"), grantorRole: .self,
                provision: Provision(type: .deny, securityLabels: ["LIVARG"]))
        ],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny of another resource class does not apply",
        directives: [
            ConsentDirective(
                id: "d1", status: .active, patientId: "P1", recorded: day("2026-10-01"), grantorRole: .self,
                provision: Provision(type: .deny, resourceClasses: ["Condition"]))
        ],
        reason: .permitDefaultOptOut),
    // Status and period
    DecisionCase(
        name: "inactive deny is ignored", directives: [directive("d1", .deny, status: .inactive)],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "entered-in-error deny is ignored", directives: [directive("d1", .deny, status: .enteredInError)],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "draft deny is ignored", directives: [directive("d1", .deny, status: .draft)],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "expired deny is ignored",
        directives: [directive("d1", .deny, period: DateRange(start: day("2026-01-01"), end: day("2026-11-19")))],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny ending on the run date still applies",
        directives: [directive("d1", .deny, period: DateRange(start: day("2026-01-01"), end: runDate))],
        reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "not-yet-effective deny is ignored",
        directives: [directive("d1", .deny, period: DateRange(start: day("2026-11-21")))],
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "opt-in: expired permit is ignored", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, period: DateRange(end: day("2026-06-30")))], reason: .denyDefaultOptIn),
    // Supersession
    DecisionCase(
        name: "newer permit of the same scope supersedes an older deny",
        directives: [
            directive("old", .deny, recorded: "2026-01-01"), directive("new", .permit, recorded: "2026-06-01"),
        ],
        reason: .permitDirective, ids: ["new"]),
    DecisionCase(
        name: "newer deny of the same scope supersedes an older permit", policy: tablePolicy(model: .optIn),
        directives: [
            directive("old", .permit, recorded: "2026-01-01"), directive("new", .deny, recorded: "2026-06-01"),
        ],
        reason: .denyDirective, ids: ["new"]),
    DecisionCase(
        name: "same-day deny and permit of the same scope: deny wins",
        directives: [directive("a", .permit, recorded: "2026-06-01"), directive("b", .deny, recorded: "2026-06-01")],
        reason: .denyDirective, ids: ["b"]),
    DecisionCase(
        name: "newer permit of a narrower scope does not supersede an older deny",
        directives: [
            directive("old", .deny, recorded: "2026-01-01"),
            directive("new", .permit, recorded: "2026-06-01", categories: [.education]),
        ],
        reason: .denyDirective, ids: ["old"]),
    DecisionCase(
        name: "a newer but inactive permit does not supersede",
        directives: [
            directive("old", .deny, recorded: "2026-01-01"),
            directive("new", .permit, recorded: "2026-06-01", status: .inactive),
        ],
        reason: .denyDirective, ids: ["old"]),
    DecisionCase(
        name: "a newer but expired permit does not supersede",
        directives: [
            directive("old", .deny, recorded: "2026-01-01"),
            directive("new", .permit, recorded: "2026-06-01", period: DateRange(end: day("2026-07-01"))),
        ],
        reason: .denyDirective, ids: ["old"]),
    // Nested provisions (exceptions)
    DecisionCase(
        name: "root deny, nested permit for a practice: delivered to that practice",
        directives: [directive("d1", .deny, nested: [Provision(type: .permit, actors: [.practice("riverside-peds")])])],
        request: makeRequest(recipient: peds), reason: .permitDirective, ids: ["d1"]),
    DecisionCase(
        name: "root deny, nested permit for a practice: denied to another practice",
        directives: [directive("d1", .deny, nested: [Provision(type: .permit, actors: [.practice("riverside-peds")])])],
        request: makeRequest(recipient: otherPeds), reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "root deny, nested permit for a practice: loaded for that practice",
        directives: [directive("d1", .deny, nested: [Provision(type: .permit, actors: [.practice("riverside-peds")])])],
        reason: .permitDirective, ids: ["d1"]),
    DecisionCase(
        name: "root permit, nested deny for a purpose: that purpose denied", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, nested: [Provision(type: .deny, purposes: [.careManagement])])],
        request: makeRequest(purpose: .careManagement), reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "root permit, nested deny for a purpose: other purpose permitted", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, nested: [Provision(type: .deny, purposes: [.careManagement])])],
        reason: .permitDirective, ids: ["d1"]),
    DecisionCase(
        name: "exception inside an exception: deny, permit shelter, deny coc-hmis",
        directives: [
            directive(
                "d1", .deny,
                nested: [
                    Provision(
                        type: .permit, categories: [.shelter],
                        provisions: [Provision(type: .deny, sources: ["coc-hmis"])])
                ])
        ],
        request: makeRequest(category: .shelter, source: "coc-hmis"), reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "nested exception outside its own period does not apply",
        directives: [
            directive("d1", .deny, nested: [Provision(type: .permit, period: DateRange(end: day("2026-10-31")))])
        ],
        reason: .denyDirective, ids: ["d1"]),
    // Recipients
    DecisionCase(
        name: "deny to a named practice is not enforced at load",
        directives: [directive("d1", .deny, actors: [.practice("riverside-peds")])], reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny to a named practice stops delivery to it",
        directives: [directive("d1", .deny, actors: [.practice("riverside-peds")])],
        request: makeRequest(recipient: peds),
        reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "deny to a named practice allows delivery to another",
        directives: [directive("d1", .deny, actors: [.practice("riverside-peds")])],
        request: makeRequest(recipient: otherPeds),
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "deny to a role stops delivery to that role",
        directives: [directive("d1", .deny, actors: [.role("pediatrics")])], request: makeRequest(recipient: otherPeds),
        reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "opt-in: permit to one practice lets the load in", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, actors: [.practice("riverside-peds")])], reason: .permitDirective,
        ids: ["d1"]),
    DecisionCase(
        name: "opt-in: permit to one practice does not cover another", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, actors: [.practice("riverside-peds")])],
        request: makeRequest(recipient: otherPeds),
        reason: .denyDefaultOptIn),
    // Agreements are checked first
    DecisionCase(
        name: "no agreement for the source", directives: [directive("d1", .permit)],
        request: makeRequest(source: "unknown-district"), reason: .denyAgreementMissing),
    DecisionCase(
        name: "agreement expired, even with a permit", directives: [directive("d1", .permit)],
        request: makeRequest(source: "old-district"), reason: .denyAgreementExpired),
    DecisionCase(
        name: "agreement not yet effective", request: makeRequest(source: "new-district"),
        reason: .denyAgreementNotYetEffective),
    DecisionCase(
        name: "agreement does not cover the purpose", request: makeRequest(purpose: .publicHealth),
        reason: .denyAgreementPurposeNotCovered),
    DecisionCase(
        name: "agreement does not cover the recipient role",
        request: makeRequest(recipient: Recipient(practiceId: "bh", roles: ["behavioral-health"])),
        reason: .denyAgreementRecipientNotCovered),
    DecisionCase(
        name: "agreement requires a permit and none applies", policy: tablePolicy(permitRequired: true),
        reason: .denyAgreementRequiresPermit),
    DecisionCase(
        name: "agreement requires a permit and one applies", policy: tablePolicy(permitRequired: true),
        directives: [directive("d1", .permit)], reason: .permitDirective, ids: ["d1"]),
    // Minors
    DecisionCase(
        name: "opt-in: a parent's education permit for a minor applies", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, grantor: .parent)], request: makeRequest(birthDate: childBirth),
        reason: .permitDirective, ids: ["d1"]),
    DecisionCase(
        name: "opt-in: a parent's education permit ends at 18", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, grantor: .parent)], request: makeRequest(birthDate: adultBirth),
        reason: .denyMinorParentalExpired, ids: ["d1"]),
    DecisionCase(
        name: "opt-in: a guardian's education permit with unknown age fails closed", policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, grantor: .guardian)], request: makeRequest(birthDate: nil),
        reason: .denyMinorParentalExpired, ids: ["d1"]),
    DecisionCase(
        name: "permit-required agreement: a parent's permit ends at 18", policy: tablePolicy(permitRequired: true),
        directives: [directive("d1", .permit, grantor: .parent)], request: makeRequest(birthDate: adultBirth),
        reason: .denyMinorParentalExpired, ids: ["d1"]),
    DecisionCase(
        name: "opt-out: a lapsed parental permit falls back to the default",
        directives: [directive("d1", .permit, grantor: .parent)],
        request: makeRequest(birthDate: adultBirth), reason: .permitDefaultOptOut),
    DecisionCase(
        name: "opt-in: a parent's shelter permit does not lapse (category not listed)",
        policy: tablePolicy(model: .optIn),
        directives: [directive("d1", .permit, grantor: .parent)],
        request: makeRequest(category: .shelter, source: "coc-hmis", birthDate: adultBirth), reason: .permitDirective,
        ids: ["d1"]),
    DecisionCase(
        name: "a parent's deny stands after 18 until replaced", directives: [directive("d1", .deny, grantor: .parent)],
        request: makeRequest(birthDate: adultBirth), reason: .denyDirective, ids: ["d1"]),
    DecisionCase(
        name: "the adult's own newer permit supersedes a parent's deny",
        directives: [
            directive("p", .deny, recorded: "2025-01-01", grantor: .parent),
            directive("s", .permit, recorded: "2026-11-20", grantor: .self),
        ],
        request: makeRequest(birthDate: adultBirth), reason: .permitDirective, ids: ["s"]),
    DecisionCase(
        name: "a lapsed parent's newer permit does not supersede the adult's deny",
        directives: [
            directive("s", .deny, recorded: "2026-01-01", grantor: .self),
            directive("p", .permit, recorded: "2026-06-01", grantor: .parent),
        ],
        request: makeRequest(birthDate: adultBirth), reason: .denyDirective, ids: ["s"]),
    DecisionCase(
        name: "shelter data of a minor never goes to a parent-facing recipient",
        directives: [directive("d1", .permit)],
        request: makeRequest(category: .shelter, source: "coc-hmis", recipient: parentPortal, birthDate: childBirth),
        reason: .denyMinorProtectedCategory),
    DecisionCase(
        name: "protected category with unknown age fails closed",
        request: makeRequest(category: .shelter, source: "coc-hmis", recipient: parentPortal, birthDate: nil),
        reason: .denyMinorProtectedCategory),
    DecisionCase(
        name: "protected category of an adult may go to a parent-facing recipient",
        request: makeRequest(category: .shelter, source: "coc-hmis", recipient: parentPortal, birthDate: adultBirth),
        reason: .permitDefaultOptOut),
    DecisionCase(
        name: "an unprotected category of a minor may go to a parent-facing recipient",
        request: makeRequest(recipient: parentPortal, birthDate: childBirth), reason: .permitDefaultOptOut),
    // Guardians
    DecisionCase(
        name: "a court's deny is not superseded by the patient's newer permit",
        directives: [
            directive("court", .deny, recorded: "2026-01-01", grantor: .court),
            directive("self", .permit, recorded: "2026-06-01", grantor: .self),
        ],
        reason: .denyDirective, ids: ["court"]),
    DecisionCase(
        name: "a court's deny is superseded by a newer court permit",
        directives: [
            directive("c1", .deny, recorded: "2026-01-01", grantor: .court),
            directive("c2", .permit, recorded: "2026-06-01", grantor: .court),
        ],
        reason: .permitDirective, ids: ["c2"]),
    DecisionCase(
        name: "a court's deny is superseded by the patient's permit when court orders are not final",
        policy: {
            var p = tablePolicy()
            p.guardians.courtOrdersFinal = false
            return p
        }(),
        directives: [
            directive("court", .deny, recorded: "2026-01-01", grantor: .court),
            directive("self", .permit, recorded: "2026-06-01", grantor: .self),
        ],
        reason: .permitDirective, ids: ["self"]),
    DecisionCase(
        name: "a directive from a grantor role the policy does not accept is ignored",
        policy: {
            var p = tablePolicy()
            p.guardians.acceptedGrantorRoles = [.self, .court]
            return p
        }(),
        directives: [directive("d1", .deny, grantor: .guardian)], reason: .permitDefaultOptOut),
]

@Suite("Gate 2 and delivery decision table")
struct DecisionTableTests {
    @Test(arguments: decisionTable)
    func decides(_ row: DecisionCase) {
        let decision = ConsentGate(policy: row.policy).evaluate(row.request, directives: row.directives)
        #expect(decision.reason == row.reason, "\(decision.explanation)")
        #expect(decision.directiveIds == row.ids)
        #expect(decision.passes == row.reason.passes)
        for id in row.ids { #expect(decision.explanation.contains(id)) }
    }

    @Test func everyGate2ReasonIsCoveredByTheTable() {
        let covered = Set(decisionTable.map(\.reason))
        let gate2 = ReasonCode.allCases.filter {
            ($0.rawValue.hasPrefix("permit.") || $0.rawValue.hasPrefix("deny."))
                && $0 != .denyNotMatched && $0 != .denyReviewPending
        }
        #expect(Set(gate2).subtracting(covered).isEmpty, "uncovered: \(Set(gate2).subtracting(covered))")
    }

    @Test func aDirectiveRecordedAfterTheLoadStopsDelivery() {
        let gate = ConsentGate(policy: tablePolicy())
        var directives = [directive("d0", .permit, recorded: "2026-01-05")]
        let load = gate.evaluate(makeRequest(), directives: directives)
        #expect(load.passes)
        directives.append(directive("optout", .deny, recorded: "2026-11-21"))
        let monday = gate.evaluate(makeRequest(recipient: peds, date: day("2026-11-23")), directives: directives)
        #expect(monday.reason == .denyDirective)
        #expect(monday.directiveIds == ["optout"])
    }

    @Test func unmatchedAndReviewBandRecordsCarryNothing() {
        let gate = ConsentGate(policy: tablePolicy())
        let none = gate.evaluate(
            MatchResult(decision: .noMatch, patientId: nil, probability: 0.01), category: .education,
            source: "riverside-usd", on: runDate, patientBirthDate: nil, directives: [])
        #expect(none.reason == .denyNotMatched)
        let review = gate.evaluate(
            MatchResult(decision: .review, patientId: "P1", probability: 0.6), category: .education,
            source: "riverside-usd", on: runDate, patientBirthDate: nil, directives: [])
        #expect(review.reason == .denyReviewPending)
        let matched = gate.evaluate(
            MatchResult(decision: .match, patientId: "P1", probability: 0.99), category: .education,
            source: "riverside-usd", on: runDate, patientBirthDate: childBirth, directives: [directive("d1", .deny)])
        #expect(matched.reason == .denyDirective)
    }
}
