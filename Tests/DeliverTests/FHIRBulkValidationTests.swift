// The FHIR export as a Bulk Data consumer reads it: a manifest beside the NDJSON, every referenced resource
// exported, and every line accepted by an independent validator (the PyPI package fhir.resources, R4B models,
// in a virtualenv under .build/fhir-venv that this test creates once and reuses).
import Consent
import Delivery
import Foundation
import LastMileCore
import Logging
import Reports
import TestSupport
import Testing

@Suite struct FHIRBulkValidationTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func export(to out: URL) throws -> FHIRFlagExport.Outcome {
        var outcome: FHIRFlagExport.Outcome?
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            outcome = try FHIRFlagExport(connection: db, gate: try testGate(), clock: reportClock, logger: quiet).run(
                since: day("2026-11-01"), recipient: .pediatricPractice("riverside-peds"),
                recipientToken: "practice:riverside-peds", purpose: .treatment, to: out, on: reportDay)
        }
        return try #require(outcome)
    }

    @Test func theExportHasABulkDataManifestAndEveryReferenceResolves() throws {
        let dir = try TemporaryDirectory()
        let outcome = try export(to: dir.url)
        #expect(
            outcome.files.map(\.lastPathComponent) == [
                "Flag.ndjson", "Patient.ndjson", "Observation.ndjson", "Organization.ndjson", "manifest.json",
            ])
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url.appendingPathComponent("manifest.json")))
                as? [String: Any])
        #expect(manifest["transactionTime"] as? String == FHIRExport.instant(reportClock.now))
        #expect(
            manifest["request"] as? String
                == "[base]/Group/practice:riverside-peds/$export?_since=2026-11-01&_type=Flag,Patient,Observation,"
                + "Organization")
        #expect(manifest["requiresAccessToken"] as? Bool == false)
        #expect((manifest["error"] as? [Any])?.isEmpty == true)
        let output = try #require(manifest["output"] as? [[String: Any]])
        #expect(output.map { $0["url"] as? String ?? "" } == outcome.files.dropLast().map(\.lastPathComponent))
        #expect(output.first?["count"] as? Int == 7)
        let organization = try String(
            contentsOf: dir.url.appendingPathComponent("Organization.ndjson"), encoding: .utf8)
        #expect(organization.contains(#""id":"lastmile-hie""#))
        let patients = try String(contentsOf: dir.url.appendingPathComponent("Patient.ndjson"), encoding: .utf8)
        #expect(patients.contains("urn:lastmile:practice:riverside-peds:chart-number"))
        let flags = try String(contentsOf: dir.url.appendingPathComponent("Flag.ndjson"), encoding: .utf8)
        #expect(flags.contains(FHIRExport.flagDetailExtension))
        #expect(!flags.split(separator: "\n").contains { !$0.contains(#""lastUpdated":"#) })
    }

    @Test(.timeLimit(.minutes(10))) func anIndependentValidatorAcceptsEveryResourceAndTheManifest() throws {
        let dir = try TemporaryDirectory()
        _ = try export(to: dir.url)
        let python = try Self.validatorPython()
        let script = Self.packageRoot.appendingPathComponent("Tests/DeliverTests/Scripts/validate_fhir.py")
        let result = try Self.run(python, [script.path, dir.url.path], seconds: 120)
        #expect(result.status == 0, "fhir.resources rejected the export:\n\(result.stderr)")
        #expect(result.stdout.hasPrefix("valid: Flag 7, Observation "))
    }

    /// The virtualenv's python with fhir.resources 7 installed; made on first use (quiet, 5 minutes at most).
    static func validatorPython() throws -> String {
        let venv = packageRoot.appendingPathComponent(".build/fhir-venv")
        let python = venv.appendingPathComponent("bin/python").path
        let marker = venv.appendingPathComponent(".fhir-resources-installed")
        if FileManager.default.fileExists(atPath: marker.path) { return python }
        let made = try run("/usr/bin/python3", ["-m", "venv", venv.path], seconds: 120)
        try #require(made.status == 0, "python3 -m venv failed: \(made.stderr)")
        let pip = try run(
            python,
            [
                "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--timeout", "30",
                "fhir.resources==7.*",
            ],
            seconds: 300)
        try #require(
            pip.status == 0,
            """
            cannot install fhir.resources from PyPI into .build/fhir-venv (network or proxy?); the FHIR export \
            needs this independent validator:
            \(pip.stderr.suffix(800))
            """)
        FileManager.default.createFile(atPath: marker.path, contents: Data())
        return python
    }

    /// Runs `executable arguments…` under `timeout` so a hung install or validator cannot stall the suite.
    static func run(_ executable: String, _ arguments: [String], seconds: Int) throws -> CommandResult {
        try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/timeout"), [String(seconds), executable] + arguments)
    }
}
