// Proves the README's least-privilege setup from the outside: the built `lastmile`, run as a login in each
// role, does what that role is for (exit 0) and is refused the rest with a documented exit status and a
// message that says what to do; a schema behind the binary is migrated only by its owner, and a schema ahead of
// it is refused.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct LeastPrivilegeCLITests {
    static let nightly = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"]
    static let report = [
        "report", "absenteeism", "--pipeline", "pipelines/monday-absenteeism.yaml", "--week-of", "2026-11-23",
        "--as-of", "2026-11-23", "--all-practices", "--no-deliver",
    ]
    static let consentImport = ["consent", "import", "sample-data/consent-directives.csv"]
    static let ownerOnly = "run `lastmile db migrate` as the schema owner"

    /// Runs the built binary in the workspace with the warehouse in `LASTMILE_DATABASE_URL`, as cron does.
    func lastmile(_ arguments: [String], as conninfo: String, in workspace: SampleWorkspace) throws -> CommandResult {
        try LastMileBinary.run(arguments, in: workspace.root, environment: ["LASTMILE_DATABASE_URL": conninfo])
    }

    func expectStatus(
        _ result: CommandResult, _ status: Int32, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status == status, "\(what): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func eachRoleRunsItsCommandsAndIsRefusedTheRest() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            let migrated = try lastmile(["db", "migrate"], as: url, in: workspace)
            expectStatus(migrated, 0, "owner: db migrate")
            let logins = "lastmile_loader, lastmile_consent_importer"
            try withTestLogin(in: logins, owner) { nightlyLogin, nightlyPassword in
                try withTestLogin(in: "lastmile_loader", owner) { loaderLogin, loaderPassword in
                    try withTestLogin(in: "lastmile_consent_importer", owner) { importerLogin, importerPassword in
                        try withTestLogin(in: "lastmile_report_reader", owner) { readerLogin, readerPassword in
                            let nightly = url + " user=\(nightlyLogin) password=\(nightlyPassword)"
                            let loader = url + " user=\(loaderLogin) password=\(loaderPassword)"
                            let importer = url + " user=\(importerLogin) password=\(importerPassword)"
                            let reader = url + " user=\(readerLogin) password=\(readerPassword)"
                            try nightlyAndMondayWork(workspace, nightly: nightly, loader: loader, importer: importer)
                            try owner.execute(
                                "INSERT INTO lastmile.practice_login VALUES ($1, 'riverside-peds')", [readerLogin])
                            try readerIsConfinedToItsView(workspace, reader: reader)
                        }
                    }
                }
            }
        }
    }

    /// The nightly login (loader and consent importer) runs the night; the loader alone cannot import the
    /// consent the pipeline names; the Monday login (loader) writes lists, exports and lists disclosures.
    func nightlyAndMondayWork(_ workspace: SampleWorkspace, nightly: String, loader: String, importer: String) throws {
        let loaderNight = try lastmile(Self.nightly, as: loader, in: workspace)
        expectStatus(loaderNight, 77, "loader alone: run with consent files")
        #expect(loaderNight.stderr.contains("consent_directive"))
        #expect(loaderNight.stderr.contains("least-privilege"))

        expectStatus(try lastmile(Self.nightly, as: nightly, in: workspace), 0, "nightly: run")
        let runs = try lastmile(["runs"], as: nightly, in: workspace)
        expectStatus(runs, 0, "nightly: runs")
        #expect(runs.stdout.contains("succeeded"))
        expectStatus(try lastmile(Self.consentImport, as: nightly, in: workspace), 0, "nightly: consent import")
        let mpi = ["mpi", "import", "sample-data/mpi.csv"]
        expectStatus(try lastmile(mpi, as: nightly, in: workspace), 0, "nightly: mpi import")
        let attribution = [
            "attribution", "import", "sample-data/attribution.csv", "--practices", "sample-data/practices.csv",
        ]
        expectStatus(try lastmile(attribution, as: nightly, in: workspace), 0, "nightly: attribution import")
        expectStatus(try lastmile(Self.consentImport, as: importer, in: workspace), 0, "importer: consent import")
        expectStatus(try lastmile(Self.consentImport, as: loader, in: workspace), 77, "loader: consent import")

        let report = try lastmile(Self.report, as: loader, in: workspace)
        expectStatus(report, 0, "loader: report")
        #expect(report.stdout.contains("riverside-peds 2026-11-23:"))
        expectStatus(try lastmile(["runs"], as: loader, in: workspace), 0, "loader: runs")
        let export = try lastmile(
            [
                "export", "fhir", "--since", "2026-11-01", "--out", "bulk", "--recipient", "practice:riverside-peds",
                "--as-of", "2026-11-23",
            ],
            as: loader, in: workspace)
        expectStatus(export, 0, "loader: export")
        let patient = try Connection(loader).execute("SELECT patient_id FROM lastmile.disclosure LIMIT 1").scalar
        let disclosures = try lastmile(["disclosures", "--patient", try #require(patient)], as: loader, in: workspace)
        expectStatus(disclosures, 0, "loader: disclosures")
        #expect(disclosures.stdout.contains("disclosure(s)"))
        let explain = ["consent", "explain", "--patient", try #require(patient)]
        expectStatus(try lastmile(explain, as: loader, in: workspace), 0, "loader: consent explain")
        let migrate = try lastmile(["db", "migrate"], as: loader, in: workspace)
        expectStatus(migrate, 0, "loader: db migrate on a current schema")
        #expect(migrate.stdout.contains("applied 0 migration(s)"))
    }

    /// The reader reads its practice's disclosed flags through the view; every lastmile command is refused
    /// with 77 (permission), none with 70.
    func readerIsConfinedToItsView(_ workspace: SampleWorkspace, reader: String) throws {
        let flags = try Connection(reader).execute("SELECT count(*) FROM lastmile.practice_flag").scalar
        #expect(Int(flags ?? "") ?? 0 > 0)
        for command in [Self.nightly, ["runs"], Self.report, Self.consentImport, ["disclosures", "--patient", "x"]] {
            let result = try lastmile(command, as: reader, in: workspace)
            expectStatus(result, 77, "reader: \(command.prefix(2).joined(separator: " "))")
            #expect(result.stderr.contains("least-privilege"))
        }
    }

    @Test func aSchemaBehindIsMigratedOnlyByItsOwner() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator(migrations: Array(Migrator().migrations.prefix { $0.version < 5 })).migrate(
                owner, logger: quiet)
            try withTestLogin(in: "lastmile_loader", owner) { login, password in
                let loader = url + " user=\(login) password=\(password)"
                for command in [["runs"], Self.report, ["db", "migrate"]] {
                    let refused = try lastmile(command, as: loader, in: workspace)
                    expectStatus(refused, 78, "loader on version 4: \(command[0])")
                    #expect(refused.stderr.contains(Self.ownerOnly))
                    #expect(refused.stderr.contains("version 4"))
                }
                #expect(try Migrator().currentVersion(owner) == 4)
                // The owner's first command brings the schema up to date; then the loader runs.
                expectStatus(try lastmile(["runs"], as: url, in: workspace), 0, "owner: runs")
                #expect(try Migrator().currentVersion(owner) == Migration.all.map(\.version).max())
                expectStatus(try lastmile(["runs"], as: loader, in: workspace), 0, "loader: runs on a current schema")
            }
            try withTestLogin(in: "lastmile_report_reader", owner) { login, password in
                // Not even a version to read for a login in no writing role on an older schema: 77, not 70.
                try owner.execute(unsafeSQL: "REVOKE SELECT ON lastmile.schema_migration FROM lastmile_report_reader")
                let refused = try lastmile(["runs"], as: url + " user=\(login) password=\(password)", in: workspace)
                expectStatus(refused, 77, "reader without the version grant: runs")
                #expect(refused.stderr.contains("schema version"))
            }
        }
    }

    @Test func aSchemaAheadOfTheBinaryIsRefused() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try owner.execute(
                unsafeSQL: "INSERT INTO lastmile.schema_migration (version, name, checksum) VALUES (9999, 'later', 'x')"
            )
            try withTestLogin(in: "lastmile_loader", owner) { login, password in
                for conninfo in [url, url + " user=\(login) password=\(password)"] {
                    for command in [["runs"], ["db", "migrate"]] {
                        let refused = try lastmile(command, as: conninfo, in: workspace)
                        expectStatus(refused, 78, "schema ahead: \(command[0])")
                        #expect(refused.stderr.contains("version 9999, newer than this lastmile"))
                    }
                }
            }
        }
    }
}
