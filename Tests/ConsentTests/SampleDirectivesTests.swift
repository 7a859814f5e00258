import Foundation
import LastMileCore
import Testing

@testable import Consent

@Suite("The sample world's consent-directives.csv under the committed policy")
struct SampleDirectivesTests {
    /// Splits the fixture naively: the sample file has no quoted fields (the real reader is the lead's).
    func sampleRows() throws -> [(line: Int, fields: [String: String])] {
        let text = String(decoding: try fixture("consent-directives-sample.csv"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        try ConsentDirective.validateCSVHeader(header, file: "consent-directives.csv")
        return lines.dropFirst().enumerated().map { i, line in
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (i + 2, Dictionary(uniqueKeysWithValues: zip(header, values)))
        }
    }

    func committedPolicy() throws -> ConsentPolicy {
        let url = repositoryRoot.appendingPathComponent("pipelines/consent-policy.yaml")
        return try ConsentPolicy(yaml: String(contentsOf: url, encoding: .utf8))
    }

    @Test func everySampleDirectiveImports() throws {
        let result = ConsentDirective.importCSV(rows: try sampleRows(), file: "consent-directives.csv")
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.directives.count == 29)
        #expect(Set(result.directives.map(\.status)) == [.active, .inactive, .enteredInError])
    }

    @Test func sampleDirectivesDecideAsWritten() throws {
        let index = DirectiveIndex(ConsentDirective.importCSV(rows: try sampleRows(), file: "c.csv").directives)
        let gate = ConsentGate(policy: try committedPolicy())
        let asOf = day("2026-11-20")
        func decide(_ patient: String, _ source: String, _ category: DataCategory, _ recipient: Recipient? = nil)
            -> ConsentDecision
        {
            gate.evaluate(
                ConsentRequest(
                    patientId: patient, category: category, source: source, recipient: recipient, date: asOf,
                    patientBirthDate: day("1980-01-01")),
                directives: index[patient])
        }
        // CD-0002: denied housing.
        #expect(decide("P397585", "ce-by-name-list", .housing).directiveIds == ["CD-0002"])
        #expect(decide("P397585", "coc-hmis", .shelter).reason == .permitDefaultOptOut)
        // CD-0004: opted out of everything.
        #expect(decide("P241520", "riverside-usd", .education).reason == .denyDirective)
        #expect(decide("P241520", "county-jail", .justice).reason == .denyDirective)
        // CD-0003: an inactive opt-out; CD-0006: entered in error.
        #expect(decide("P766372", "coc-hmis", .shelter).reason == .permitDefaultOptOut)
        #expect(decide("P823029", "county-jail", .justice).reason == .permitDefaultOptOut)
        // CD-0007: denied jail data from county-jail only.
        #expect(decide("P298177", "county-jail", .justice).reason == .denyDirective)
        // CD-0012: a parent's permit to riverside-peds; delivery to that practice passes.
        let monday = decide("P652025", "riverside-usd", .education, .pediatricPractice("riverside-peds"))
        #expect(monday.passes)
    }
}
