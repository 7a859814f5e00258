// Issue 8 item 5: runs the product through the built CLI on the sample world with JSON logs and --verbose,
// and looks for every sample person's name, birth date, SSN, phone and street line in everything lastmile
// prints, logs, records in its ledger and writes to disk — outside the places personal data is the point.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

/// One output lastmile produced, named for the failure message.
struct AuditedOutput {
    var name: String
    var text: String
}

@Suite(.serialized) struct PrivacyAuditTests {
    @Test func nothingPersonalOutsideTheListsTheExportAndTheRejectsFiles() throws {
        let workspace = try SampleWorkspace()
        let personal = try PersonalData(sampleData: workspace.sampleData)
        // The sample's people are all there: a reader that found nothing would make the audit vacuous.
        #expect(personal.names.count > 100 && personal.birthDates.count > 50)
        #expect(!personal.ssns.isEmpty && !personal.phones.isEmpty && !personal.streets.isEmpty)
        let before = try Self.files(under: workspace.root)
        let export = try TemporaryDirectory()
        let metrics = workspace.root.appendingPathComponent("metrics/lastmile.prom")
        try FileManager.default.createDirectory(
            at: metrics.deletingLastPathComponent(), withIntermediateDirectories: true)

        try TestDatabase.withFreshDatabase { url in
            let log = ["--log-format", "json", "--verbose"]
            var outputs: [AuditedOutput] = []
            func lastmile(_ label: String, _ arguments: [String], expect status: Int32, database: Bool = true) throws {
                let result = try LastMileBinary.run(
                    arguments + log + (database ? ["--database", url] : []), in: workspace.root)
                #expect(result.status == status, "\(label): \(result.stderr)")
                outputs.append(AuditedOutput(name: "\(label) stdout", text: result.stdout))
                outputs.append(AuditedOutput(name: "\(label) stderr", text: result.stderr))
                // --log-format json: every standard-error line is one JSON object.
                for line in result.stderr.split(separator: "\n") {
                    #expect(
                        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any],
                        "\(label): not a JSON log line: \(line.prefix(80))")
                }
            }

            try lastmile(
                "run", ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--metrics-file", metrics.path],
                expect: 0)
            try lastmile("runs", ["runs"], expect: 0)
            try lastmile("runs --html", ["runs", "--html", "nights.html"], expect: 0)
            try lastmile(
                "source init",
                [
                    "source", "init", "sample-data/inbox/riverside-usd/attendance-2026-11-20.csv", "--extractor",
                    "school-attendance", "--name", "audit-feed", "--out", "audit-feed.yaml",
                ], expect: 0, database: false)
            try lastmile(
                "report",
                [
                    "report", "absenteeism", "--pipeline", "pipelines/monday-absenteeism.yaml", "--week-of",
                    "2026-11-23", "--as-of", "2026-11-23", "--all-practices", "--no-deliver",
                ], expect: 0)
            try lastmile(
                "export fhir",
                [
                    "export", "fhir", "--since", "2026-01-01", "--out", export.url.path, "--recipient",
                    "practice:riverside-peds", "--as-of", "2026-11-23",
                ], expect: 0)
            let db = try Connection(url)
            let patient = try #require(
                try db.execute("SELECT patient_id FROM lastmile.flag ORDER BY patient_id LIMIT 1").scalar)
            try lastmile(
                "consent explain", ["consent", "explain", "--patient", patient, "--as-of", "2026-11-23"], expect: 0)
            try lastmile(
                "extract",
                ["extract", "--source", "riverside-usd", "sample-data/inbox/riverside-usd/attendance-2026-11-20.csv"],
                expect: 0)
            // Failures: a pipeline file broken mid-way, and a warehouse that is not there.
            try "pipeline: nightly\nsources: [riverside-usd\n  bad: : :\n".write(
                to: workspace.root.appendingPathComponent("pipelines/broken.yaml"), atomically: true, encoding: .utf8)
            try lastmile("broken pipeline", ["run", "pipelines/broken.yaml", "--as-of", "2026-11-20"], expect: 78)
            let unreachable = try LastMileBinary.run(
                [
                    "run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--log-format", "json", "--verbose",
                    "--database", "host=/nonexistent-lastmile-socket-dir dbname=x connect_timeout=2",
                ], in: workspace.root)
            #expect(unreachable.status == 75, "\(unreachable.stderr)")
            outputs.append(AuditedOutput(name: "unreachable run stdout", text: unreachable.stdout))
            outputs.append(AuditedOutput(name: "unreachable run stderr", text: unreachable.stderr))

            // The ledger: every run row and every quarantined row, as text.
            for table in ["run", "rejected_row", "ingested_file", "report", "disclosure"] {
                let rows = try db.execute(unsafeSQL: "SELECT t::text FROM lastmile.\(table) t").rows
                #expect(table != "run" || rows.count >= 1)
                outputs.append(
                    AuditedOutput(
                        name: "lastmile.\(table) rows", text: rows.compactMap { $0[0] }.joined(separator: "\n")))
            }
            #expect(try db.execute("SELECT count(*) FROM lastmile.rejected_row").scalar != "0")
            outputs.append(AuditedOutput(name: "metrics file", text: try String(contentsOf: metrics, encoding: .utf8)))

            // Every file lastmile created in the workspace: the lists, the rejects files, the metrics file,
            // anything else. Only the outbox and the rejects folder may carry personal data.
            let outbox = workspace.root.appendingPathComponent("outbox").path + "/"
            let rejects = workspace.root.appendingPathComponent(".lastmile/rejects").path + "/"
            let created = try Self.files(under: workspace.root).subtracting(before)
            var rejectsFiles = 0
            var listFiles = 0
            for path in created.sorted() {
                if path.hasPrefix(outbox) {
                    listFiles += 1
                } else if path.hasPrefix(rejects) {
                    rejectsFiles += 1
                    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
                    #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
                } else if path != metrics.path && !path.hasSuffix("/pipelines/broken.yaml") {
                    outputs.append(
                        AuditedOutput(
                            name: "file \(path)", text: (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""))
                }
            }
            #expect(listFiles >= 2, "the lists were written")
            #expect(rejectsFiles >= 1, "the sample's bad rows went to a rejects file")
            let rejectsDirectory = try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? Int
            #expect(rejectsDirectory == 0o700)
            // The export went where it was told, and nowhere else.
            #expect(
                try Set(FileManager.default.contentsOfDirectory(atPath: export.url.path)).isSubset(of: [
                    "Flag.ndjson", "Patient.ndjson", "Observation.ndjson", "Organization.ndjson", "manifest.json",
                ]))

            for output in outputs {
                let leaks = personal.leaks(in: output.text)
                #expect(leaks.isEmpty, "\(output.name) shows \(leaks.prefix(5).joined(separator: ", "))")
            }
            // The audit can see a leak: the lists it exempts do carry the people's names.
            let lists = try created.filter { $0.hasPrefix(outbox) }.map {
                try String(contentsOfFile: $0, encoding: .utf8)
            }
            #expect(!personal.leaks(in: lists.joined()).isEmpty)
            #expect(outputs.count >= 20)
        }
    }

    /// Every regular file under `root`, as absolute paths.
    static func files(under root: URL) throws -> Set<String> {
        var paths: Set<String> = []
        let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [])
        while let url = walker?.nextObject() as? URL {
            if (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
                paths.insert(url.resolvingSymlinksInPath().path)
            }
        }
        return paths
    }
}
