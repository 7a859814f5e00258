// Proves least privilege in the warehouse: the nightly job runs as a login in the loader role, and a
// practice's reader login sees only the flags disclosed to its own practice, through one view, and nothing else.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct LeastPrivilegeTests {
    /// Creates a login role in a group role for the test, and drops it afterwards (roles are cluster-wide).
    func withLogin<T>(in group: String, _ admin: Connection, _ body: (String) throws -> T) throws -> T {
        let name = "lm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try admin.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN IN ROLE \(group)")
        defer {
            _ = try? admin.execute(unsafeSQL: "DROP OWNED BY \(name)")
            _ = try? admin.execute(unsafeSQL: "DROP ROLE \(name)")
        }
        return try body(name)
    }

    @Test func nightlyRunsAsALoaderLogin() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try prepareWarehouse(url, workspace: workspace)
            try withLogin(in: "lastmile_loader", owner) { login in
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
                try owner.execute("INSERT INTO lastmile.practice_login (login_role, practice_id) VALUES ($1, 'p1')", [login])
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
}
