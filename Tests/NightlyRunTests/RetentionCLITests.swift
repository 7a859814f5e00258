// Retention from the outside: `lastmile validate` locates a bad `retention_school_years`, and the built binary,
// run as the nightly login (loader and consent importer, no DDL rights), creates the school year's partitions
// it loads into, drops the year no source keeps, deletes an expired source's rows from a year another source
// keeps, and reports the counts in its summary and the ledger.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct RetentionCLITests {
    static let asOf = "2026-11-20"

    @Test func validateLocatesABadRetention() throws {
        let workspace = try SampleWorkspace()
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "attendance: positive\n",
            with: "attendance: positive\nretention_school_years: 0\n")
        let result = try LastMileBinary.run(
            ["validate", "--pipelines", "pipelines", "--as-of", Self.asOf], in: workspace.root)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/sources/riverside-usd.yaml:14:25: retention_school_years: expected a whole number of "
                    + "school years, 1 to 100 (the current one included)"), "\(result.stderr)")
    }

    @Test func theNightlyLoginCreatesAndDropsSchoolYearsThroughTheBinary() throws {
        let workspace = try SampleWorkspace()
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "attendance: positive\n",
            with: "attendance: positive\nretention_school_years: 2\n")
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            let migrate = try LastMileBinary.run(
                ["db", "migrate"], in: workspace.root, environment: ["LASTMILE_DATABASE_URL": url])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            // Earlier years: 2023-24 of riverside-usd alone, 2024-25 shared with lakeside-edfi (keeps every year).
            try owner.execute(
                unsafeSQL: """
                    SELECT lastmile.ensure_school_year_partition('attendance_day', 2023);
                    SELECT lastmile.ensure_school_year_partition('attendance_day', 2024);
                    INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id,
                        status, run_id) VALUES
                        ('riverside-usd', 'S-1', '2023-10-02', 'P1', 'RHS', 'present', 0),
                        ('riverside-usd', 'S-1', '2024-03-04', 'P1', 'RHS', 'present', 0),
                        ('riverside-usd', 'S-1', '2024-10-01', 'P1', 'RHS', 'present', 0),
                        ('lakeside-edfi', 'L-1', '2024-10-01', 'P2', 'LK', 'present', 0);
                    """)
            try withTestLogin(in: "lastmile_loader, lastmile_consent_importer", owner) { login, password in
                let run = try LastMileBinary.run(
                    ["run", "pipelines/nightly.yaml", "--as-of", Self.asOf, "--summary-format", "json"],
                    in: workspace.root,
                    environment: ["LASTMILE_DATABASE_URL": url + " user=\(login) password=\(password)"])
                #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
                #expect(run.stdout.contains(#""retention":{"partitionsDropped":1,"rowsDeleted":1,"rowsDropped":2}"#))
            }
            let years = try owner.execute(
                """
                SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'lastmile.attendance_day'::regclass
                """
            ).scalar
            // The loader's run created this school year's and the next one's partitions before loading.
            #expect(years == "attendance_day_sy2024,attendance_day_sy2026,attendance_day_sy2027")
            let kept = try owner.execute(
                "SELECT string_agg(source, ',') FROM lastmile.attendance_day WHERE attendance_date < '2026-07-01'"
            ).scalar
            #expect(kept == "lakeside-edfi")
            let ledger = try owner.execute(
                "SELECT counts->'retention'->>'partitionsDropped' FROM lastmile.run WHERE status = 'succeeded'"
            ).scalar
            #expect(ledger == "1")
        }
    }
}
