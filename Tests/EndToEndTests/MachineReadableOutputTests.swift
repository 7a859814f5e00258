// Issue 18 item 5: logs and a run summary a machine reads. A sample night run through the built binary with
// `--log-format json`: every line one JSON object, counts as JSON numbers, keys in one naming style, one
// exit-status key; `--summary-format json` one object whose rows balance. And an `--out` whose parent folder
// is missing is created, or refused with the folder and the reason named.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct MachineReadableOutputTests {
    /// The documented key style (`docs/operations.md`): dotted segments of lower-case words joined by `_`.
    static func hasKeyStyle(_ key: String) -> Bool {
        key.wholeMatch(of: #/[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*/#) != nil
    }

    /// Parses every standard-error line as one JSON object, recording a failure for each line that is not.
    static func logLines(_ stderr: String, _ label: String) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object != nil, "\(label): not a JSON log line: \(line.prefix(120))")
            return object
        }
    }

    /// Checks the fixed keys, the key style, and that no value is a number written as a string.
    static func checkTyped(_ lines: [[String: Any]], _ label: String) {
        for line in lines {
            for fixed in ["ts", "level", "label", "msg"] {
                #expect(line[fixed] is String, "\(label): \(fixed) missing in \(line)")
            }
            for (key, value) in line {
                #expect(Self.hasKeyStyle(key), "\(label): key \(key) breaks the key style")
                if let text = value as? String, !(value is NSNumber) {
                    #expect(Double(text) == nil, "\(label): \(key) is a number written as a string: \(text)")
                }
            }
        }
    }

    /// Whether `value` is a JSON number (not a string, not a boolean written as a string).
    static func isNumber(_ value: Any?) -> Bool { value is NSNumber && !(value is String) }

    @Test func aSampleNightLogsTypedJSONAndItsSummaryIsOneBalancedObject() throws {
        let workspace = try SampleWorkspace()
        let scratch = try TemporaryDirectory()
        try TestDatabase.withFreshDatabase { url in
            let json = ["--log-format", "json", "--verbose", "--database", url]
            let night = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--summary-format", "json"] + json,
                in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")
            let lines = Self.logLines(night.stderr, "run")
            Self.checkTyped(lines, "run")
            let succeeded = try #require(lines.first { $0["msg"] as? String == "run succeeded" })
            #expect(Self.isNumber(succeeded["rows.read"]), "\(succeeded)")
            #expect(Self.isNumber(succeeded["flags.active"]), "\(succeeded)")
            #expect(Self.isNumber(succeeded["seconds"]), "\(succeeded)")
            #expect(Self.isNumber(succeeded["run.id"]), "\(succeeded)")
            let extracted = lines.filter { $0["msg"] as? String == "extracted" }
            #expect(!extracted.isEmpty && extracted.allSatisfy { Self.isNumber($0["rows.read"]) }, "\(extracted)")

            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(night.stdout.utf8)) as? [String: Any], "\(night.stdout)")
            #expect(night.stdout.split(separator: "\n").count == 1, "one object on one line: \(night.stdout)")
            #expect(summary["balanced"] as? Bool == true, "\(summary)")
            #expect(Self.isNumber(summary["runId"]) && Self.isNumber(summary["seconds"]), "\(summary)")
            let sources = try #require(summary["sources"] as? [[String: Any]])
            #expect(sources.count >= 2, "\(sources)")
            var rowsRead = 0
            for source in sources {
                func count(_ key: String) -> Int {
                    #expect(Self.isNumber(source[key]), "\(key) in \(source)")
                    return source[key] as? Int ?? -1
                }
                func total(_ key: String) -> Int {
                    let buckets = source[key] as? [String: Any] ?? [:]
                    #expect(buckets.values.allSatisfy(Self.isNumber), "\(key) in \(source)")
                    return buckets.values.compactMap { $0 as? Int }.reduce(0, +)
                }
                let buckets =
                    total("rejected") + total("consentDropped") + count("unmatched") + count("review")
                    + total("deniedAfterMatch") + count("loaded")
                #expect(count("rowsRead") == buckets, "\(source)")
                rowsRead += count("rowsRead")
            }
            #expect(rowsRead > 0 && rowsRead == succeeded["rows.read"] as? Int, "\(rowsRead) vs \(succeeded)")
        }
    }

    @Test func anOutFolderWhoseParentIsMissingIsCreatedOrRefusedWithTheFolderAndTheReason() throws {
        let workspace = try SampleWorkspace()
        let scratch = try TemporaryDirectory()
        try TestDatabase.withFreshDatabase { url in
            let json = ["--log-format", "json", "--database", url]
            let night = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")

            // The Monday list into an outbox whose parent folder does not exist yet: created, 0700.
            let outbox = scratch.url.appendingPathComponent("not-yet/outbox")
            let report = try LastMileBinary.run(
                [
                    "report", "absenteeism", "--pipeline", "pipelines/monday-absenteeism.yaml", "--week-of",
                    "2026-11-23", "--as-of", "2026-11-23", "--all-practices", "--no-deliver", "--out", outbox.path,
                ] + json, in: workspace.root)
            #expect(report.status == 0, "\(report.stderr)")
            let reportLines = Self.logLines(report.stderr, "report")
            Self.checkTyped(reportLines, "report")
            #expect(reportLines.contains { Self.isNumber($0["report.id"]) }, "\(report.stderr)")
            #expect(try Self.mode(scratch.url.appendingPathComponent("not-yet")) == 0o700)
            #expect(FileManager.default.fileExists(atPath: outbox.appendingPathComponent("riverside-peds").path))

            // The FHIR export as the --help example types it, into folders that do not exist yet.
            let export = scratch.url.appendingPathComponent("export/riverside-peds")
            let fhir = try LastMileBinary.run(
                [
                    "export", "fhir", "--since", "2026-01-01", "--out", export.path, "--recipient",
                    "practice:riverside-peds", "--as-of", "2026-11-23", "--database", url,
                ], in: workspace.root)
            #expect(fhir.status == 0, "\(fhir.stderr)")
            #expect(FileManager.default.fileExists(atPath: export.appendingPathComponent("Flag.ndjson").path))
            #expect(try Self.mode(scratch.url.appendingPathComponent("export")) == 0o700)

            // A file where a folder must be: exit 73, the folder and the reason named, no bare errno.
            try Data("in the way".utf8).write(to: scratch.url.appendingPathComponent("a-file"))
            let blocked = try LastMileBinary.run(
                [
                    "export", "fhir", "--since", "2026-01-01", "--out", scratch.url.path + "/a-file/x/out",
                    "--recipient", "practice:riverside-peds", "--as-of", "2026-11-23", "--database", url,
                ], in: workspace.root)
            #expect(blocked.status == 73, "\(blocked.stderr)")
            #expect(blocked.stderr.contains("a-file/x: stat failed: Not a directory"), "\(blocked.stderr)")
        }
    }

    @Test func aFailedCommandLogsItsExitStatusAsANumberUnderTheOneKey() throws {
        let workspace = try SampleWorkspace()
        let failed = try LastMileBinary.run(
            [
                "run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--log-format", "json", "--database",
                "host=/nonexistent-lastmile-socket-dir dbname=x connect_timeout=2",
            ], in: workspace.root)
        #expect(failed.status == 75, "\(failed.stderr)")
        let lines = Self.logLines(failed.stderr, "unreachable")
        Self.checkTyped(lines, "unreachable")
        let last = try #require(lines.last)
        #expect(last["exit.status"] as? Int == 75 && Self.isNumber(last["exit.status"]), "\(last)")
        #expect(!lines.contains { $0["exit_status"] != nil }, "\(failed.stderr)")
    }

    static func mode(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1
    }
}
