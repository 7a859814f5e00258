// The built `lastmile` as cron and a privacy officer would run it: report, deliver, list disclosures, export.
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct DeliverCLITests {
    /// A working directory with a pipeline file, the test policy and a delivery script that fails while
    /// `fail` exists.
    func workspace() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try testPolicyYAML.write(to: dir.url.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let script = try failingThenSucceedingScript(in: dir.url)
        try """
        pipeline: monday-absenteeism
        purpose: TREAT
        practices: all
        consent_policy: policy.yaml
        templates: \(repositoryRoot.appendingPathComponent("pipelines/templates").path)
        outbox: outbox
        delivery:
          command: ["/bin/sh", "\(script.path)", "{practice_id}", "{file}"]
          timeout_seconds: 30
        """.write(to: dir.url.appendingPathComponent("monday.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func reportDeliverRetryDisclosuresAndExportThroughTheCLI() throws {
        try TestDatabase.withFreshDatabase { url in
            _ = try loadWorld(url)
            let dir = try workspace()
            try Data().write(to: dir.url.appendingPathComponent("fail"))
            let args = [
                "report", "absenteeism", "--database", url, "--pipeline", "monday.yaml", "--week-of", "2026-11-25",
                "--as-of", "2026-11-23",
            ]
            // The warehouse from the environment this time: the delivery program must not inherit it.
            let failed = try LastMileBinary.run(
                args.filter { $0 != "--database" && $0 != url }, in: dir.url,
                environment: ["LASTMILE_DATABASE_URL": url])
            #expect(failed.status == 75, "\(failed.stderr)")
            #expect(failed.stdout.contains("riverside-peds 2026-11-23: 5 patient(s), 6 flag(s)"))
            #expect(failed.stdout.contains("lakeside-peds 2026-11-23: 1 patient(s), 1 flag(s)"))
            #expect(failed.stdout.contains("delivery failed (exit 3); will retry"))
            #expect(failed.stderr.contains("2 report(s) not delivered"))

            let calls = try String(contentsOf: dir.url.appendingPathComponent("calls.log"), encoding: .utf8)
            #expect(calls.split(separator: "\n").count == 2)
            #expect(!calls.contains(url))
            #expect(calls.contains("riverside-peds no-credentials"))
            try FileManager.default.removeItem(at: dir.url.appendingPathComponent("fail"))
            let retried = try LastMileBinary.run(args + ["--log-format", "json"], in: dir.url)
            #expect(retried.status == 0, "\(retried.stderr)")
            #expect(retried.stdout.contains("absenteeism-riverside-peds-2026-11-23: delivered"))
            let again = try LastMileBinary.run(args, in: dir.url)
            #expect(again.status == 0)
            #expect(again.stdout.contains("riverside-peds 2026-11-23: already delivered; not sent again"))
            #expect(!again.stdout.contains(": delivered"))

            let disclosures = try LastMileBinary.run(["disclosures", "--database", url, "--patient", "P900001"])
            #expect(disclosures.status == 0, "\(disclosures.stderr)")
            #expect(
                disclosures.stdout.contains("practice:riverside-peds\tTREAT\tchronic-absenteeism severe riverside-usd"))
            #expect(disclosures.stdout.contains("absenteeism-riverside-peds-2026-11-23\tdelivered"))

            let export = try LastMileBinary.run(
                [
                    "export", "fhir", "--database", url, "--since", "2026-11-01", "--out", "bulk", "--recipient",
                    "practice:lakeside-peds", "--consent-policy", "policy.yaml", "--as-of", "2026-11-23",
                ], in: dir.url)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("1 flag(s) of 1 patient(s) exported"))
            let flagFile = try String(contentsOf: dir.url.appendingPathComponent("bulk/Flag.ndjson"), encoding: .utf8)
            #expect(flagFile.contains("Patient/P900003"))
            #expect(!flagFile.contains("P900001"))

            let everything =
                [failed, retried, again, disclosures, export].map { $0.stderr }.joined()
                + disclosures.stdout
            for p in patients {
                #expect(!everything.contains(p.family))
                #expect(!everything.contains(p.given))
                #expect(!everything.contains(p.birth))
            }
        }
    }

    @Test func badInvocationsExitWithUsageOrConfigurationStatus() throws {
        let dir = try workspace()
        let both = try LastMileBinary.run(
            ["report", "absenteeism", "--practice", "x", "--all-practices", "--pipeline", "monday.yaml"], in: dir.url)
        #expect(both.status == 64)
        try "pipeline: x\noutbox: out\nconsent_policy: p.yaml\ndelivery:\n  command: []\n".write(
            to: dir.url.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try LastMileBinary.run(
            ["report", "absenteeism", "--pipeline", "bad.yaml", "--database", "host=/nonexistent"], in: dir.url)
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("bad.yaml:5:12: delivery.command: expected a non-empty list"))
    }

    @Test func aYAMLSyntaxErrorNamesALineTheFileHas() throws {
        // libyaml places this error on line 4, after the last; the message names line 3.
        let yaml = "pipeline: x\noutbox: o\npractices: [a,\n"
        let error = try #require(throws: DeliveryPipelineError.self) {
            try DeliveryPipelineConfig(yaml: yaml, file: "x.yaml", baseDirectory: repositoryRoot)
        }
        #expect(error.problems.first?.line == 3)
        #expect(error.description.hasPrefix("x.yaml:3: not valid YAML: "))
        #expect(!error.description.contains("practices"))
    }

    @Test func aProgramWithoutAPathIsRefused() throws {
        let yaml = "outbox: o\nconsent_policy: p\ndelivery:\n  command: [direct-send, \"{file}\"]\n"
        let error = try #require(throws: DeliveryPipelineError.self) {
            try DeliveryPipelineConfig(yaml: yaml, file: "x.yaml", baseDirectory: repositoryRoot)
        }
        #expect(error.problems.first?.keyPath == "delivery.command")
        #expect(error.problems.first?.message.contains("no PATH search") == true)
    }

    @Test func theShippedPipelineFileIsValid() throws {
        let config = try DeliveryPipelineConfig(
            contentsOf: repositoryRoot.appendingPathComponent("pipelines/monday-absenteeism.yaml"),
            baseDirectory: repositoryRoot.appendingPathComponent("pipelines"))
        #expect(config.purpose.rawValue == "TREAT")
        #expect(config.practices == nil)
        #expect(config.recipientRoles == ["pediatrics"])
        #expect(config.outbox.path == repositoryRoot.appendingPathComponent("outbox").standardizedFileURL.path)
        #expect(config.consentPolicy.path.hasSuffix("/pipelines/consent-policy.yaml"))
        let command = try #require(config.delivery)
        #expect(
            command.arguments[0]
                == repositoryRoot.appendingPathComponent("scripts/deliver-to-drop.sh").standardizedFileURL.path)
        #expect(FileManager.default.isExecutableFile(atPath: command.arguments[0]))
        #expect(throws: DeliveryPipelineError.self) {
            try DeliveryPipelineConfig(
                yaml: "outbox: o\nconsent_policy: p\npractice: all\n", file: "x.yaml", baseDirectory: repositoryRoot)
        }
    }
}
