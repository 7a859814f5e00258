import Foundation
import FuzzEntryPoints
import Testing

/// Replays the inputs kept from fuzzing (crashes that were fixed and a minimised corpus) through the same
/// entry points the libFuzzer executables call, without sanitizers. See docs/fuzzing.md.
struct FuzzRegressionTests {
    static let inputs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Inputs")

    /// Every file under Inputs/<target>/, sorted by name.
    static func files(_ target: String) -> [URL] {
        let folder = inputs.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    static func replay(_ target: String, _ body: (UnsafeRawBufferPointer) -> FuzzOutcome) throws {
        let files = files(target)
        #expect(!files.isEmpty, "no kept inputs for \(target)")
        for file in files {
            let data = try Data(contentsOf: file)
            let outcome = data.withUnsafeBytes { body($0) }
            #expect(outcome.violations.isEmpty, "\(target)/\(file.lastPathComponent): \(outcome)")
        }
    }

    @Test func csvReaderInputs() throws { try Self.replay("csv-reader", fuzzCSVReader) }
    @Test func dateParserInputs() throws { try Self.replay("date-parsers", fuzzDateParsers) }
    @Test func sourceConfigInputs() throws { try Self.replay("source-config", fuzzSourceConfig) }
    @Test func fhirConsentInputs() throws { try Self.replay("fhir-consent", fuzzFHIRConsent) }
}
