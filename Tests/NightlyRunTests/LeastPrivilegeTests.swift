// Proves least privilege in the warehouse: the nightly job runs as a login in the loader and consent-importer
// roles, a practice's reader login sees only the flags disclosed to its own practice, through one view, and
// nothing else, and no role but the schema owner can rewrite access control or the accounting of disclosures.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

/// Creates a login role in the given group roles (a comma-separated list) with a password, runs `body` with
/// its name and password, and drops it afterwards (roles are cluster-wide).
func withTestLogin<T>(in groups: String, _ admin: Connection, _ body: (String, String) throws -> T) throws -> T {
    let name = "lm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    let password = UUID().uuidString
    try admin.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN PASSWORD '\(password)' IN ROLE \(groups)")
    defer {
        _ = try? admin.execute(unsafeSQL: "DROP OWNED BY \(name)")
        _ = try? admin.execute(unsafeSQL: "DROP ROLE \(name)")
    }
    return try body(name, password)
}

/// Expects `sql` to be refused to this login with 42501 insufficient_privilege.
func expectDenied(_ connection: Connection, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try connection.execute(unsafeSQL: sql)
        Issue.record("allowed: \(sql)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.sqlState?.rawValue == "42501", "\(sql): \(error)", sourceLocation: sourceLocation)
    }
}

@Suite(.serialized) struct LeastPrivilegeTests {
    func withLogin<T>(in group: String, _ admin: Connection, _ body: (String) throws -> T) throws -> T {
        try withTestLogin(in: group, admin) { login, _ in try body(login) }
    }

    @Test func nightlyRunsAsALoaderLogin() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try prepareWarehouse(url, workspace: workspace)
            // The sample pipeline names consent files: the nightly login imports consent too.
            try withLogin(in: "lastmile_loader, lastmile_consent_importer", owner) { login in
                let loader = try Connection(url + " user=\(login)")
                let summary = try runNight(workspace, loader)
                #expect(summary.flags.created > 0)
                // The loader cannot change the schema.
                let ddl = try #require(throws: WarehouseError.self) {
                    try loader.execute(unsafeSQL: "DROP TABLE lastmile.flag")
                }
                #expect(ddl.sqlState?.rawValue == "42501")
            }
        }
    }

    @Test func readerSeesOnlyFlagsDisclosedToItsPractice() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try owner.execute(
                unsafeSQL: """
                    INSERT INTO lastmile.run (run_id, pipeline, as_of, status) VALUES (1, 't', '2026-11-20', 'succeeded');
                    INSERT INTO lastmile.practice (practice_id, name) VALUES ('p1', 'One'), ('p2', 'Two');
                    INSERT INTO lastmile.patient (patient_id, given_name, family_name, demographics_hash)
                        VALUES ('A', 'Ann', 'Alpha', 'h'), ('B', 'Ben', 'Beta', 'h'), ('C', 'Cal', 'Gamma', 'h');
                    INSERT INTO lastmile.attribution (patient_id, practice_id, practice_patient_id)
                        VALUES ('A', 'p1', 'P1-A'), ('B', 'p2', 'P2-B'), ('C', 'p1', 'P1-C');
                    INSERT INTO lastmile.flag (flag_id, patient_id, kind, source, status, period_start, codes, evidence,
                                               created_run, updated_run)
                        VALUES (1, 'A', 'chronic-absenteeism', 's', 'active', '2026-08-01', '[]', '{}', 1, 1),
                               (2, 'B', 'chronic-absenteeism', 's', 'active', '2026-08-01', '[]', '{}', 1, 1),
                               (3, 'C', 'chronic-absenteeism', 's', 'active', '2026-08-01', '[]', '{}', 1, 1);
                    -- A's flag went to p1; B's to p2; C's was kept off p1's list by consent: never disclosed.
                    INSERT INTO lastmile.disclosure (patient_id, flag_id, recipient, purpose, report)
                        VALUES ('A', 1, 'practice:p1', 'TREAT', 'r1'), ('B', 2, 'practice:p2', 'TREAT', 'r2');
                    """)
            try withLogin(in: "lastmile_report_reader", owner) { login in
                try owner.execute(
                    "INSERT INTO lastmile.practice_login (login_role, practice_id) VALUES ($1, 'p1')", [login])
                let reader = try Connection(url + " user=\(login)")
                let rows = try reader.execute("SELECT patient_id, practice_patient_id FROM lastmile.practice_flag").rows
                #expect(rows.map { $0["patient_id"] } == ["A"])
                #expect(rows.first?["practice_patient_id"] == "P1-A")
                for table in ["flag", "patient", "attribution", "disclosure", "practice_login", "consent_directive"] {
                    let denied = try #require(throws: WarehouseError.self) {
                        try reader.execute(unsafeSQL: "SELECT count(*) FROM lastmile.\(table)")
                    }
                    #expect(denied.sqlState?.rawValue == "42501", "\(table)")
                }
                // Nothing the session can set widens what it sees.
                try reader.execute(unsafeSQL: "SET lastmile.practice_id = 'p2'")
                #expect(try reader.execute("SELECT count(*) FROM lastmile.practice_flag").scalar == "1")
            }
            try withLogin(in: "lastmile_report_reader", owner) { login in
                // A reader login the HIE has not assigned to a practice sees nothing.
                let reader = try Connection(url + " user=\(login)")
                #expect(try reader.execute("SELECT count(*) FROM lastmile.practice_flag").scalar == "0")
            }
        }
    }

    /// A warehouse with one practice-p1 reader, a delivered and an undelivered report with a disclosure each,
    /// and a consent directive.
    func recordedWorld(_ owner: Connection, reader: String) throws {
        try Migrator().migrate(owner, logger: quiet)
        try owner.execute(
            unsafeSQL: """
                INSERT INTO lastmile.run (run_id, pipeline, as_of, status) VALUES (1, 't', '2026-11-20', 'succeeded');
                INSERT INTO lastmile.practice (practice_id, name) VALUES ('p1', 'One'), ('p2', 'Two');
                INSERT INTO lastmile.patient (patient_id, demographics_hash) VALUES ('A', 'h'), ('B', 'h');
                INSERT INTO lastmile.flag (flag_id, patient_id, kind, source, status, period_start, codes, evidence,
                                           created_run, updated_run)
                    VALUES (1, 'A', 'chronic-absenteeism', 's', 'active', '2026-08-01', '[]', '{}', 1, 1),
                           (2, 'B', 'chronic-absenteeism', 's', 'active', '2026-08-01', '[]', '{}', 1, 1);
                INSERT INTO lastmile.report (report_id, kind, name, practice_id, recipient, purpose, directory, sha256,
                                             patients, flags, delivery_status, delivered_at)
                    VALUES (1, 'absenteeism', 'sent', 'p1', 'practice:p1', 'TREAT', '/o', 'x', 1, 1, 'delivered', now()),
                           (2, 'absenteeism', 'unsent', 'p2', 'practice:p2', 'TREAT', '/o', 'y', 1, 1, 'failed', NULL);
                INSERT INTO lastmile.disclosure (patient_id, flag_id, recipient, purpose, report, report_id)
                    VALUES ('A', 1, 'practice:p1', 'TREAT', 'sent', 1), ('B', 2, 'practice:p2', 'TREAT', 'unsent', 2);
                INSERT INTO lastmile.consent_directive (directive_id, patient_id, status, source_format, directive)
                    VALUES ('D1', 'A', 'active', 'csv', '{}');
                """)
        try owner.execute("INSERT INTO lastmile.practice_login (login_role, practice_id) VALUES ($1, 'p1')", [reader])
    }

    @Test func loaderCannotRewriteAccessControlConsentOrTheRecord() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try withTestLogin(in: "lastmile_report_reader", owner) { reader, readerPassword in
                try recordedWorld(owner, reader: reader)
                try withTestLogin(in: "lastmile_loader", owner) { login, password in
                    let loader = try Connection(url + " user=\(login) password=\(password)")
                    for sql in [
                        "UPDATE lastmile.practice_login SET practice_id = 'p2'",
                        "INSERT INTO lastmile.practice_login VALUES ('someone', 'p2')",
                        "DELETE FROM lastmile.practice_login",
                        "SELECT count(*) FROM lastmile.practice_login",
                        "DELETE FROM lastmile.disclosure",
                        "UPDATE lastmile.disclosure SET recipient = 'practice:p2'",
                        "DELETE FROM lastmile.consent_directive",
                        "UPDATE lastmile.consent_directive SET status = 'inactive'",
                        "INSERT INTO lastmile.consent_directive (directive_id, patient_id, status, source_format, "
                            + "directive) VALUES ('D2', 'B', 'active', 'csv', '{}')",
                        "INSERT INTO lastmile.schema_migration (version, name, checksum) VALUES (99, 'x', 'y')",
                        "DELETE FROM lastmile.schema_migration",
                        "DELETE FROM lastmile.run",
                        "DELETE FROM lastmile.report",
                        // A delivered report cannot be turned back into a forgettable one …
                        "UPDATE lastmile.report SET delivery_status = 'failed', delivered_at = NULL WHERE report_id = 1",
                        // … nor its disclosures forgotten.
                        "SELECT lastmile.forget_undelivered_disclosures(1)",
                    ] {
                        expectDenied(loader, sql)
                    }
                    // What the loader needs still works: reading consent, appending disclosures, re-making an
                    // undelivered report's disclosures, and reading the schema version.
                    #expect(try loader.execute("SELECT count(*) FROM lastmile.consent_directive").scalar == "1")
                    try loader.execute(
                        unsafeSQL: """
                            INSERT INTO lastmile.disclosure (patient_id, flag_id, recipient, purpose, report, report_id)
                                VALUES ('B', 2, 'practice:p2', 'TREAT', 'unsent', 2)
                            """)
                    #expect(try loader.execute("SELECT lastmile.forget_undelivered_disclosures(2)").scalar == "2")
                    #expect(try Migrator().currentVersion(loader) == Migration.all.map(\.version).max())
                }
                // The reader still sees exactly the flag disclosed to p1.
                let readerConnection = try Connection(url + " user=\(reader) password=\(readerPassword)")
                #expect(try readerConnection.execute("SELECT patient_id FROM lastmile.practice_flag").scalar == "A")
                expectDenied(readerConnection, "INSERT INTO lastmile.schema_migration VALUES (99, 'x', 'y')")
            }
            #expect(try owner.execute("SELECT count(*) FROM lastmile.disclosure").scalar == "1")
            #expect(try owner.execute("SELECT count(*) FROM lastmile.consent_directive").scalar == "1")
        }
    }

    @Test func consentIsWrittenOnlyThroughTheConsentImporter() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try withTestLogin(in: "lastmile_consent_importer", owner) { login, password in
                let importer = try Connection(url + " user=\(login) password=\(password)")
                try importer.execute(
                    unsafeSQL: """
                        INSERT INTO lastmile.consent_directive (directive_id, patient_id, status, source_format, directive)
                            VALUES ('D1', 'A', 'active', 'csv', '{}');
                        UPDATE lastmile.consent_directive SET status = 'inactive' WHERE directive_id = 'D1';
                        """)
                expectDenied(importer, "DELETE FROM lastmile.consent_directive")
                expectDenied(importer, "SELECT count(*) FROM lastmile.patient")
                expectDenied(importer, "SELECT count(*) FROM lastmile.disclosure")
            }
        }
    }

    @Test func tablesCreatedLaterAreNotGrantedByDefault() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try owner.execute(unsafeSQL: "CREATE TABLE lastmile.created_later (id int)")
            try withTestLogin(in: "lastmile_loader", owner) { login, password in
                let loader = try Connection(url + " user=\(login) password=\(password)")
                expectDenied(loader, "SELECT count(*) FROM lastmile.created_later")
            }
        }
    }
}
