import Foundation
import LastMileCore
import Testing

@testable import Consent

@Suite("consent-policy.yaml")
struct ConsentPolicyTests {
    @Test func theCommittedPolicyIsValidAndCoversTheFiveSampleSources() throws {
        let url = repositoryRoot.appendingPathComponent("pipelines/consent-policy.yaml")
        let policy = try ConsentPolicy(
            yaml: String(contentsOf: url, encoding: .utf8), file: "pipelines/consent-policy.yaml")
        #expect(policy.model == .optOut)
        let expected: [(String, String, DataCategory)] = [
            ("riverside-usd-dsa-2026", "riverside-usd", .education),
            ("lakeside-edfi-dsa-2026", "lakeside-edfi", .education),
            ("coc-hmis-roi-2026", "coc-hmis", .shelter), ("county-jail-mou-2026", "county-jail", .justice),
            ("ce-by-name-list-dsa-2026", "ce-by-name-list", .housing),
        ]
        for (id, source, category) in expected {
            let a = try #require(policy.agreement(id: id))
            #expect(a.source == source && a.category == category)
            #expect(a.purposes.contains(.treatment))
            #expect(a.isInForce(on: day("2026-11-20")), "sample as-of date")
        }
        #expect(policy.agreement(id: "riverside-usd-dsa-2026")!.recipientRoles.contains("pediatrics"))
        #expect(Set(policy.restrictions.map(\.label)) == Set(RestrictionRule.builtIn.map(\.label)))
        #expect(policy.minors.parentalAuthorityEndsAtMajority == [.education])
        #expect(policy.agreement(id: "county-jail-mou-2026")!.eventFields.contains(.chargeCount) == false)
    }

    @Test func aMinimalPolicyTakesDefaults() throws {
        let policy = try ConsentPolicy(
            yaml: """
                model: opt-in
                agreements:
                  - id: a1
                    source: s1
                    category: housing
                    legal_basis: HIPAA-TPO
                    purposes: [TREAT]
                    recipient_roles: [primary-care]
                    fields:
                      person: [given_name]
                      event: [record_id, record_type, status, status_date]
                    effective: 2026-01-01
                    expires: 2026-12-31
                """)
        #expect(policy.model == .optIn)
        #expect(policy.restrictions == RestrictionRule.builtIn)
        #expect(policy.minors == MinorsRules())
        #expect(policy.guardians == GuardianRules())
        #expect(policy.agreements[0].patientPermitRequired == false)
    }

    @Test func everyProblemIsReportedWithItsKeyPathAndLine() {
        let yaml = """
            version: 1
            model: opt-maybe
            agreements:
              - id: a1
                source: s1
                category: schooling
                legal_basis: handshake
                purposes: [TREAT, GOSSIP]
                recipient_roles: [Pediatrics]
                fields:
                  person: [given_name, shoe_size]
                  event: [date]
                effective: 2026-13-01
                expires: 2026-12-31
                colour: blue
              - id: a2
                source: s2
                category: justice
                legal_basis: sheriff-MOU
                purposes: [TREAT]
                recipient_roles: [primary-care]
                fields:
                  person: [given_name]
                  event: [booked_at, grade]
                effective: 2026-06-01
                expires: 2026-01-01
            restrictions:
              - label: sealed
                basis: court order
            minors:
              age_of_majority: 3
              adolescent_protected_categories: [shelter]
            guardians:
              accepted_grantor_roles: [parent]
            """
        #expect {
            try ConsentPolicy(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            guard let error = error as? ConsentPolicyError else { return false }
            let text = error.description
            let expectations: [(String, Int?)] = [
                ("bad.yaml:2:8: model: expected one of opt-out, opt-in", 2),
                ("agreements[0].category: expected one of education, shelter, justice, housing", 6),
                ("agreements[0].legal_basis: unknown legal basis", 7),
                ("agreements[0].purposes[1]: expected a v3 PurposeOfUse code", 8),
                ("agreements[0].recipient_roles[0]: expected a kebab-case name", 9),
                ("agreements[0].fields.person[1]: expected one of source_person_id", 11),
                ("agreements[0].effective: expected a date YYYY-MM-DD", 13),
                ("agreements[0].colour: unknown key", 15),
                ("agreements[1].fields.event: grade is not a justice field", 24),
                ("agreements[1].fields.event: a justice record cannot pass without booking_number", 24),
                ("agreements[1].expires: expires before effective", 26),
                ("restrictions: victim-service-provider must be listed", 28),
                ("restrictions: juvenile must be listed", 28),
                ("minors.age_of_majority: expected a whole number", 31),
                ("minors.parent_facing_roles: required when adolescent_protected_categories", 32),
                ("guardians.accepted_grantor_roles: must include self", 34),
            ]
            for (fragment, line) in expectations {
                guard let problem = error.problems.first(where: { $0.description.contains(fragment) }) else {
                    Issue.record("missing problem: \(fragment)\n\(text)")
                    continue
                }
                if let line { #expect(problem.line == line, "\(fragment)") }
            }
            return true
        }
    }

    @Test func overlappingAndDuplicateAgreementsAreRejected() {
        let agreement = { (id: String, effective: String, expires: String) in
            """
              - id: \(id)
                source: s1
                category: shelter
                legal_basis: HMIS-ROI
                purposes: [TREAT]
                recipient_roles: [primary-care]
                fields: { person: [given_name], event: [enrollment_id, project_id, project_type, entry_date, date] }
                effective: \(effective)
                expires: \(expires)

            """
        }
        let yaml =
            "model: opt-out\nagreements:\n" + agreement("a", "2026-01-01", "2026-12-31")
            + agreement("b", "2026-06-01", "2027-06-30") + agreement("a", "2028-01-01", "2028-12-31")
        #expect {
            try ConsentPolicy(yaml: yaml)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("agreements[1]: in force at the same time as a")
                && text.contains("agreements[2].id: duplicate agreement id")
        }
    }

    @Test func yamlSyntaxErrorsNameTheLine() {
        #expect {
            try ConsentPolicy(yaml: "model: opt-out\nagreements: [\n  - x", file: "broken.yaml")
        } throws: { error in
            guard let e = error as? ConsentPolicyError, let p = e.problems.first else { return false }
            return e.problems.count == 1 && p.file == "broken.yaml" && p.line == 3 && p.column != nil
                && p.message.hasPrefix("not valid YAML: ")
        }
    }

    /// Found by fuzzing (docs/fuzzing.md): an error at the end of a text without a final line break named the
    /// line after the last.
    @Test func aYAMLErrorAtTheEndNamesTheLastLine() {
        for yaml in ["model: opt-out\nagreements: [x", "model: opt-out\nagreements: [x\n", "# a comment\n---"] {
            #expect {
                try ConsentPolicy(yaml: yaml, file: "broken.yaml")
            } throws: { error in
                (error as? ConsentPolicyError)?.problems.map(\.line) == [2]
            }
        }
    }

    @Test func policyErrorsExitAsConfigurationErrors() {
        #expect(ConsentPolicyError(problems: []).exitStatus == .configuration)
        #expect(throws: ConsentPolicyError.self) { try ConsentPolicy(yaml: "") }
        #expect(throws: ConsentPolicyError.self) { try ConsentPolicy(yaml: "- a list") }
    }
}
