import Foundation
import LastMileCore
import Testing

@testable import Consent

@Suite("Directive import: CSV rows and FHIR R4 Consent")
struct DirectiveImportTests {
    // MARK: CSV

    func row(_ overrides: [String: String] = [:]) -> [String: String] {
        var r = [
            "directive_id": "D-1", "patient_id": "P000123", "type": "deny", "category": "education",
            "source": "riverside-usd",
            "purpose": "TREAT", "recipient": "practice:riverside-peds", "period_start": "2026-09-01", "period_end": "",
            "recorded_at": "2026-08-30", "status": "active", "grantor_role": "parent",
        ]
        for (k, v) in overrides { r[k] = v }
        return r
    }

    @Test func aCSVRowBecomesASingleRootProvision() throws {
        let d = try ConsentDirective(csvRow: row(), location: "consent-directives.csv:2")
        #expect(d.id == "D-1" && d.patientId == "P000123" && d.status == .active && d.grantorRole == .parent)
        #expect(d.recorded == day("2026-08-30"))
        #expect(
            d.provision.type == .deny && d.provision.categories == [.education]
                && d.provision.sources == ["riverside-usd"])
        #expect(d.provision.purposes == [.treatment] && d.provision.actors == [.practice("riverside-peds")])
        #expect(d.provision.period == DateRange(start: day("2026-09-01"), end: nil))
        #expect(d.provision.provisions.isEmpty)
    }

    @Test func emptyScopeColumnsMeanAny() throws {
        let d = try ConsentDirective(
            csvRow: row([
                "category": "", "source": "", "purpose": "", "recipient": "role:pediatrics", "period_start": "",
            ]),
            location: "x:3")
        #expect(d.provision.categories.isEmpty && d.provision.sources.isEmpty && d.provision.purposes.isEmpty)
        #expect(d.provision.period == nil && d.provision.actors == [.role("pediatrics")])
    }

    @Test(arguments: [
        ("directive_id", "", "column directive_id: a value is required"),
        ("patient_id", " ", "column patient_id: a value is required"),
        ("type", "maybe", "column type: permit or deny"),
        ("category", "medical", "column category: one of education, shelter, justice, housing or empty"),
        ("purpose", "GOSSIP", "column purpose: a v3 PurposeOfUse code such as TREAT or PUBHLTH, or empty"),
        ("recipient", "dr-who", "column recipient: practice:<id>, role:<role> or empty"),
        ("period_start", "09/01/2026", "column period_start: a date YYYY-MM-DD or empty"),
        ("period_end", "2026-01-01", "column period_end: a date on or after period_start"),
        ("recorded_at", "", "column recorded_at: a date YYYY-MM-DD"),
        ("status", "revoked", "column status: one of draft, proposed, active, rejected, inactive, entered-in-error"),
        ("grantor_role", "aunt", "column grantor_role: one of self, parent, guardian, court"),
    ])
    func badCSVValuesNameTheColumnNotTheValue(column: String, value: String, message: String) {
        #expect {
            try ConsentDirective(csvRow: row([column: value]), location: "consent-directives.csv:7")
        } throws: { error in
            let text = String(describing: error)
            return text == "consent-directives.csv:7: \(message)"
                && (value.trimmingCharacters(in: .whitespaces).isEmpty || !text.contains(value))
        }
    }

    @Test func csvImportKeepsGoodRowsAndReportsBadOnesByLine() {
        let result = ConsentDirective.importCSV(
            rows: [(2, row()), (3, row(["type": "nope"])), (5, row(["directive_id": "D-2"]))], file: "c.csv")
        #expect(result.directives.map(\.id) == ["D-1", "D-2"])
        #expect(result.problems.map(\.description) == ["c.csv:3: column type: permit or deny"])
    }

    @Test func csvHeaderMustHaveEveryColumn() {
        #expect(throws: Never.self) {
            try ConsentDirective.validateCSVHeader(ConsentDirective.csvColumns + ["note"], file: "c.csv")
        }
        #expect {
            try ConsentDirective.validateCSVHeader(["directive_id", "patient_id", "type"], file: "c.csv")
        } throws: { error in
            String(describing: error).hasPrefix(
                "c.csv:1: header: missing column(s) category, source, purpose, recipient")
        }
    }

    // MARK: FHIR

    @Test func aValidBundleImportsEveryConsent() throws {
        let result = ConsentDirective.importFHIR(json: try fixture("consent-bundle-valid.json"), file: "bundle.json")
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.ignoredResources == 1)
        #expect(
            result.directives.map(\.id) == [
                "fhir-optout-except-peds", "fhir-parent-permit-education", "fhir-policy-only-optout",
                "fhir-deny-living-arrangement",
            ])
        let optOut = result.directives[0]
        #expect(optOut.patientId == "P000101" && optOut.recorded == day("2026-10-02") && optOut.grantorRole == .self)
        #expect(optOut.provision.type == .deny && optOut.provision.period == DateRange(start: day("2026-10-02")))
        #expect(
            optOut.provision.provisions == [
                Provision(type: .permit, actors: [.practice("riverside-peds")], purposes: [.treatment])
            ])
        let parent = result.directives[1]
        #expect(parent.patientId == "P000102" && parent.grantorRole == .parent)
        #expect(parent.provision.categories == [.education] && parent.provision.sources == ["riverside-usd"])
        #expect(parent.provision.actors == [.role("pediatrics")])
        #expect(parent.provision.period == DateRange(start: day("2026-08-17"), end: day("2027-06-30")))
        let policyOnly = result.directives[2]
        #expect(policyOnly.status == .inactive && policyOnly.provision == Provision(type: .deny))
        let livarg = result.directives[3]
        #expect(livarg.grantorRole == .parent)
        #expect(livarg.provision.securityLabels == ["LIVARG"] && livarg.provision.resourceClasses == ["Flag"])
    }

    @Test func importedFHIRDirectivesDecideAsTheirProvisionsSay() throws {
        let directives = ConsentDirective.importFHIR(json: try fixture("consent-bundle-valid.json"), file: "b")
            .directives
        let gate = ConsentGate(policy: tablePolicy())
        func decide(_ patient: String, _ category: DataCategory, _ source: String, _ recipient: Recipient?)
            -> ReasonCode
        {
            gate.evaluate(
                ConsentRequest(
                    patientId: patient, category: category, source: source, recipient: recipient, date: runDate,
                    patientBirthDate: day("2012-01-01")), directives: directives
            ).reason
        }
        #expect(decide("P000101", .education, "riverside-usd", peds) == .permitDirective)
        #expect(decide("P000101", .education, "riverside-usd", otherPeds) == .denyDirective)
        #expect(decide("P000104", .housing, "ce-by-name-list", nil) == .denyDirective)
        #expect(decide("P000104", .education, "riverside-usd", nil) == .permitDefaultOptOut)
        #expect(decide("P000103", .education, "riverside-usd", nil) == .permitDefaultOptOut, "inactive")
    }

    @Test func aSingleResourceImports() throws {
        let result = ConsentDirective.importFHIR(json: try fixture("consent-single.json"), file: "one.json")
        #expect(result.problems.isEmpty)
        let d = try #require(result.directives.first)
        #expect(d.id == "court-order-17" && d.grantorRole == .court && d.patientId == "P000105")
        #expect(d.provision.categories == [.justice] && d.provision.purposes == [.treatment, .coordinationOfCare])
    }

    @Test func ndjsonProblemsNameTheLine() throws {
        let result = ConsentDirective.importFHIRNDJSON(try fixture("consents.ndjson"), file: "c.ndjson")
        #expect(result.directives.map(\.id) == ["nd-1", "nd-2"])
        #expect(result.directives[1].status == .enteredInError)
        #expect(result.ignoredResources == 1)
        #expect(
            result.problems.map(\.description) == [
                "c.ndjson:4: $: valid JSON",
                "c.ndjson:5: status: one of draft, proposed, active, rejected, inactive, entered-in-error",
                "c.ndjson:7: provision.provision[0].period.start: "
                    + "a FHIR date YYYY-MM-DD or dateTime YYYY-MM-DDThh:mm:ss+zz:zz",
            ])
    }

    @Test func malformedBundleEntriesNameTheEntryAndPath() throws {
        let result = ConsentDirective.importFHIR(json: try fixture("consent-bundle-malformed.json"), file: "bad.json")
        #expect(result.directives.map(\.id) == ["good-one"])
        let expected = [
            "bad.json entry[0]: status: a value is required",
            "bad.json entry[1]: patient.reference: Patient/<id>",
            "bad.json entry[2]: dateTime: a value is required",
            "bad.json entry[3]: provision.provision[1].type: permit or deny",
            "bad.json entry[4]: provision.class[0].code: one of education, shelter, justice, housing",
            "bad.json entry[5]: provision.actor[0].reference.reference: Organization/<practice-id or source name>",
            "bad.json entry[6]: provision.data: not supported by lastmile; "
                + "scope with class, securityLabel, actor or purpose",
            "bad.json entry[7]: provision.purpose[0].code: a v3 PurposeOfUse code such as TREAT or PUBHLTH",
            "bad.json entry[8]: provision.period.end: on or after period.start",
            "bad.json entry[9]: provision: a provision, or a policyRule coding OPTIN or OPTOUT",
            "bad.json entry[10]: resource: a resource object",
        ]
        #expect(result.problems.map(\.description) == expected)
        let personal = ["P000301", "P000302", "G1", "dr-7", "clinical", "GOSSIP", "allow"]
        for problem in result.problems {
            for value in personal { #expect(!problem.description.contains(value)) }
            #expect(problem.exitStatus == .dataError)
        }
    }

    @Test func aByteOrderMarkIsAccepted() throws {
        let bom = Data([0xEF, 0xBB, 0xBF])
        #expect(
            ConsentDirective.importFHIR(json: bom + (try fixture("consent-single.json")), file: "b").directives.count
                == 1)
        #expect(
            ConsentDirective.importFHIRNDJSON(bom + (try fixture("consents.ndjson")), file: "b").directives.count == 2)
    }

    @Test func notJSONOrNotAConsentIsOneProblem() throws {
        let broken = ConsentDirective.importFHIR(json: try fixture("not-json.json"), file: "n.json")
        #expect(broken.problems.map(\.description) == ["n.json: $: valid JSON"])
        let patient = ConsentDirective.importFHIR(json: Data(#"{"resourceType":"Patient"}"#.utf8), file: "p.json")
        #expect(patient.problems.map(\.description) == ["p.json: resourceType: Bundle or Consent"])
        let array = ConsentDirective.importFHIR(json: Data("[1,2]".utf8), file: "a.json")
        #expect(array.problems.map(\.description) == ["a.json: $: a JSON object: a Bundle or a Consent"])
    }
}

@Suite("Directive storage form")
struct DirectiveStorageTests {
    @Test func directivesRoundTripThroughJSON() throws {
        let imported = ConsentDirective.importFHIR(json: try fixture("consent-bundle-valid.json"), file: "b").directives
        #expect(imported.count == 4)
        let data = try JSONEncoder().encode(imported)
        #expect(try JSONDecoder().decode([ConsentDirective].self, from: data) == imported)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""practice:riverside-peds""#) && text.contains(#""2026-10-02""#))
    }
}

@Suite("Directive index")
struct DirectiveIndexTests {
    @Test func groupsByPatient() {
        let index = DirectiveIndex([
            directive("a", .deny, patient: "P1"), directive("b", .permit, patient: "P2"),
            directive("c", .deny, patient: "P1"),
        ])
        #expect(index["P1"].map(\.id) == ["a", "c"] && index["P2"].map(\.id) == ["b"] && index["P9"].isEmpty)
        #expect(index.patientCount == 2 && index.directiveCount == 3)
    }
}
