// Runs `lastmile mpi import`, `attribution import` and `consent import|explain` as a user would, against a
// real PostgreSQL: printed counts, exit codes, and no personal data in any output.
import Foundation
import TestSupport
import Testing

enum ReferenceDataFiles {
    /// The repository root (sample-data/, pipelines/ and cron/ are committed there).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

@Suite struct ReferenceDataCommandTests {
    let mpi = """
        id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn
        P000101,Zelda,Marchetti,2014-07-09,F,12 Oak St,Millbrook,OR,97411,541-555-0100,
        P000102,Yusuf,Okonkwo,2011-02-17,M,9 Elm Ave,Millbrook,OR,97411,,
        P000103,Xia,Lindqvist,2016-10-30,F,4 Pine Rd,Brookfield,OR,97468,,

        """

    func file(_ text: String, _ name: String, in directory: TemporaryDirectory) throws -> String {
        let url = directory.url.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func mpiAndAttributionImportsPrintTheirCounts() throws {
        let directory = try TemporaryDirectory()
        let mpiFile = try file(mpi, "mpi.csv", in: directory)
        let practices = try file(
            "practice_id,practice_name\nriverside-peds,Riverside Pediatrics\n", "practices.csv", in: directory)
        let panel = try file(
            "patient_id,practice_id,provider_name,practice_patient_id\n"
                + "P000101,riverside-peds,,RP-1\nP000999,riverside-peds,,RP-9\n",
            "attribution.csv", in: directory)
        try TestDatabase.withFreshDatabase { url in
            let first = try LastMileBinary.run(["mpi", "import", mpiFile, "--database", url])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("inserted 3, updated 0, unchanged 0, retired 0, reactivated 0, rejected 0"))
            let second = try LastMileBinary.run(["mpi", "import", mpiFile, "--database", url, "--log-format", "json"])
            #expect(second.stdout.contains("inserted 0, updated 0, unchanged 3"))

            let attribution = try LastMileBinary.run([
                "attribution", "import", panel, "--practices", practices, "--database", url,
            ])
            #expect(attribution.status == 0, "\(attribution.stderr)")
            #expect(attribution.stdout.contains("practices.inserted 1"))
            #expect(attribution.stdout.contains("inserted 1"))
            #expect(attribution.stdout.contains("rejected 1"))
            #expect(attribution.stdout.contains("attribution.csv:3, column \"patient_id\""))
            #expect(!attribution.stdout.contains("P000999"))

            for output in [first, second, attribution] {
                for value in ["Zelda", "Marchetti", "2014-07-09", "541-555-0100", "Oak St"] {
                    #expect(!(output.stdout + output.stderr).contains(value))
                }
            }
        }
    }

    /// The help of `mpi import` and `mpi merge` shows the repository's sample files, which exist and apply: the
    /// delta, then the merge; and `source init`, which never opens the warehouse, offers no `--database`.
    @Test func helpExamplesNameTheSampleFilesAndTheyApply() throws {
        let root = ReferenceDataFiles.repositoryRoot
        for (command, sample) in [("import", "sample-data/mpi-delta.csv"), ("merge", "sample-data/mpi-merges.csv")] {
            let help = try LastMileBinary.run(["mpi", command, "--help"], in: root)
            #expect(help.status == 0)
            #expect(!help.stdout.contains("/srv/"), "\(help.stdout)")
            #expect(help.stdout.contains(sample), "\(help.stdout)")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(sample).path))
        }
        let sourceInit = try LastMileBinary.run(["source", "init", "--help"], in: root)
        #expect(sourceInit.status == 0)
        #expect(!sourceInit.stdout.contains("--database"), "\(sourceInit.stdout)")
        try TestDatabase.withFreshDatabase { url in
            for arguments in [
                ["mpi", "import", "sample-data/mpi.csv"], ["mpi", "import", "--delta", "sample-data/mpi-delta.csv"],
                ["mpi", "merge", "sample-data/mpi-merges.csv"],
            ] {
                let result = try LastMileBinary.run(arguments + ["--database", url], in: root)
                #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
                #expect(result.stdout.contains("rejected 0"), "\(result.stdout)")
            }
        }
    }

    /// After `mpi merge`, attribution and consent files naming the merged patient apply to the survivor and
    /// say so (`redirected 1`), through the binary, with the sample delta and merge.
    @Test func filesNamingAMergedPatientApplyToTheSurvivorAndCountIt() throws {
        let root = ReferenceDataFiles.repositoryRoot
        let directory = try TemporaryDirectory()
        let practices = try file(
            "practice_id,practice_name\nriverside-peds,Riverside Pediatrics\n", "practices.csv", in: directory)
        let panel = try file(
            "patient_id,practice_id,provider_name,practice_patient_id\nP990001,riverside-peds,,RP-1\n",
            "attribution.csv", in: directory)
        let consent = try file(
            "directive_id,patient_id,type,category,source,purpose,recipient,period_start,period_end,recorded_at,"
                + "status,grantor_role\nCD-9001,P990001,deny,housing,,,,2026-11-01,,2026-11-01,active,self\n",
            "consent.csv", in: directory)
        try TestDatabase.withFreshDatabase { url in
            for arguments in [
                ["mpi", "import", "sample-data/mpi.csv"], ["mpi", "import", "--delta", "sample-data/mpi-delta.csv"],
                ["mpi", "merge", "sample-data/mpi-merges.csv"],
            ] {
                let result = try LastMileBinary.run(arguments + ["--database", url], in: root)
                #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
            }
            let attribution = try LastMileBinary.run(
                ["attribution", "import", panel, "--practices", practices, "--database", url], in: root)
            #expect(attribution.status == 0, "\(attribution.stderr)")
            #expect(attribution.stdout.contains("redirected 1"), "\(attribution.stdout)")
            #expect(attribution.stdout.contains("rejected 0"), "\(attribution.stdout)")
            let imported = try LastMileBinary.run(["consent", "import", consent, "--database", url], in: root)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("redirected 1"), "\(imported.stdout)")
            let explain = try LastMileBinary.run(
                ["consent", "explain", "--patient", "P020812", "--database", url], in: root)
            #expect(explain.stdout.contains("CD-9001"), "\(explain.stdout)")
        }
    }

    @Test func anUnusableMPIFileExits65WithoutValues() throws {
        let directory = try TemporaryDirectory()
        let noColumn = try file("id,given_name\nP000101,Zelda\n", "short.csv", in: directory)
        let allBad = try file(
            "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn\n"
                + "P000101,Zelda,Marchetti,09/07/2014,F,,,,,,\n",
            "bad.csv", in: directory)
        try TestDatabase.withFreshDatabase { url in
            let missing = try LastMileBinary.run(["mpi", "import", noColumn, "--database", url])
            #expect(missing.status == 65)
            #expect(missing.stderr.contains("short.csv"))
            let bad = try LastMileBinary.run(["mpi", "import", allBad, "--database", url])
            #expect(bad.status == 65)
            #expect(bad.stderr.contains("no usable patient rows"))
            for output in [missing, bad] {
                #expect(!(output.stdout + output.stderr).contains("Zelda"))
                #expect(!(output.stdout + output.stderr).contains("09/07/2014"))
            }
        }
    }

    @Test func consentImportAndExplainThroughTheCLI() throws {
        let directory = try TemporaryDirectory()
        let mpiFile = try file(mpi, "mpi.csv", in: directory)
        let sample = ReferenceDataFiles.repositoryRoot.appendingPathComponent("sample-data/consent-directives.csv").path
        let bundle = ReferenceDataFiles.repositoryRoot.appendingPathComponent(
            "Tests/PipelineTests/Fixtures/consent-bundle-valid.json"
        ).path
        let policy = ReferenceDataFiles.repositoryRoot.appendingPathComponent("pipelines/consent-policy.yaml").path
        let notJSON = try file("{ not json", "consents.json", in: directory)
        try TestDatabase.withFreshDatabase { url in
            let malformed = try LastMileBinary.run(["consent", "import", sample, notJSON, "--database", url])
            #expect(malformed.status == 65)
            #expect(malformed.stderr.contains("consents.json: $: valid JSON"))
            let unknownFormat = try LastMileBinary.run(["consent", "import", mpiFile + ".txt", "--database", url])
            #expect(unknownFormat.status == 64)

            #expect(try LastMileBinary.run(["mpi", "import", mpiFile, "--database", url]).status == 0)
            let imported = try LastMileBinary.run(["consent", "import", sample, bundle, "--database", url])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("files 2"))
            #expect(imported.stdout.contains("ignored resources 1, problems 0"))
            let again = try LastMileBinary.run(["consent", "import", sample, bundle, "--database", url])
            #expect(again.stdout.contains("stored 0"))

            let explain = try LastMileBinary.run([
                "consent", "explain", "--patient", "P000101", "--source", "riverside-usd", "--recipient",
                "practice:lakeside-childrens", "--as-of", "2026-11-20", "--policy", policy, "--database", url,
            ])
            #expect(explain.status == 0, "\(explain.stderr)")
            #expect(explain.stdout.contains("directive fhir-optout-except-peds"))
            #expect(explain.stdout.contains("=> deny.directive"))
            for value in ["2014-07-09", "Zelda", "Marchetti", "Oak St", "541-555-0100"] {
                #expect(!(explain.stdout + explain.stderr).contains(value))
            }
            let badPolicy = try LastMileBinary.run([
                "consent", "explain", "--patient", "P000101", "--policy", mpiFile, "--database", url,
            ])
            #expect(badPolicy.status == 78)
        }
    }
}
