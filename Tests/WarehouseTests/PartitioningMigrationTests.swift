// Proves migration 12 against a real PostgreSQL: a populated warehouse keeps every attendance day and bed night,
// every column, key, index and grant when the two tables become partitioned by school year; the loader, which
// may not run DDL, creates and drops exactly one partition through the owner's functions and nothing else.
import Foundation
import Logging
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct PartitioningMigrationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let partitioned = ["attendance_day", "bed_night"]

    /// Three school years of rows (2023-24, 2024-25, 2025-26), with the boundary days June 30 and July 1.
    func populate(_ db: Connection) throws {
        try db.execute(
            unsafeSQL: """
                INSERT INTO lastmile.run (run_id, pipeline, as_of, status) VALUES (1, 'nightly', '2025-11-20', 'succeeded');
                INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, grade,
                    status, minutes_absent, run_id, file_sha256, merged_from) VALUES
                    ('usd', 'S-1', '2023-09-05', 'P1', 'RHS', '9', 'absent-unexcused', NULL, 1, 'aa', NULL),
                    ('usd', 'S-1', '2024-06-30', 'P1', 'RHS', '9', 'present', NULL, 1, 'aa', NULL),
                    ('usd', 'S-1', '2024-07-01', 'P1', 'RHS', '10', 'tardy', 12, 1, 'bb', 'P9'),
                    ('edfi', 'L-2', '2025-11-20', 'P2', 'LK', NULL, 'absent-excused', NULL, 1, NULL, NULL);
                INSERT INTO lastmile.bed_night (source, enrollment_id, night, patient_id, project_type, run_id,
                    file_sha256, merged_from) VALUES
                    ('hmis', 'E-1', '2024-01-02', 'P3', 1, 1, 'cc', NULL),
                    ('hmis', 'E-1', '2025-07-01', 'P3', 1, 1, 'cc', 'P8');
                """)
    }

    func rows(_ db: Connection, _ table: String) throws -> [String] {
        try db.execute("SELECT t::text AS r FROM lastmile.\(table) t ORDER BY 1").rows.compactMap { $0["r"] }
    }

    /// Every privilege on a table of `lastmile` held by a role other than its owner (what least privilege is).
    func grants(_ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT c.relname || ' ' || coalesce(r.rolname, 'PUBLIC') || ' ' || a.privilege_type AS g
            FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
            WHERE c.relnamespace = 'lastmile'::regnamespace AND a.grantee <> c.relowner ORDER BY 1
            """
        ).rows.compactMap { $0["g"] }
    }

    func columns(_ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT table_name || '.' || ordinal_position || '.' || column_name || ':' || data_type || ':' || is_nullable
                AS c
            FROM information_schema.columns
            WHERE table_schema = 'lastmile' AND table_name IN ('attendance_day', 'bed_night') ORDER BY 1
            """
        ).rows.compactMap { $0["c"] }
    }

    func indexes(_ db: Connection, _ table: String) throws -> [String] {
        try db.execute(
            """
            SELECT indexname || ' ' || regexp_replace(indexdef, '^.* USING ', '') AS i FROM pg_indexes
            WHERE schemaname = 'lastmile' AND tablename = $1 ORDER BY 1
            """, [table]
        ).rows.compactMap { $0["i"] }
    }

    @Test func aPopulatedWarehouseKeepsEveryRowColumnIndexAndGrant() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            // Every other migration first (13 shipped before 12 was written), as a warehouse in service has them;
            // 12 and 18 (which replaces one of 12's functions) are the upgrade.
            let upgrade: Set = [12, 18]
            try Migrator(migrations: Migration.all.filter { !upgrade.contains($0.version) }).migrate(db, logger: logger)
            try populate(db)
            let before = try Self.partitioned.map { try rows(db, $0) }
            let grantsBefore = try grants(db)
            let columnsBefore = try columns(db)
            let indexesBefore = try Self.partitioned.map { try indexes(db, $0) }

            let applied = try Migrator().migrate(db, logger: logger)
            #expect(applied.map(\.version) == [12, 18])

            #expect(try Self.partitioned.map { try rows(db, $0) } == before)
            #expect(try grants(db) == grantsBefore)
            #expect(try columns(db) == columnsBefore)
            #expect(try Self.partitioned.map { try indexes(db, $0) } == indexesBefore)
            let kinds = try db.execute(
                "SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class "
                    + "WHERE relnamespace = 'lastmile'::regnamespace AND relname IN ('attendance_day', 'bed_night')"
            ).scalar
            #expect(kinds == "attendance_day:p,bed_night:p")
            let partitions = try db.execute(
                """
                SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent IN ('lastmile.attendance_day'::regclass, 'lastmile.bed_night'::regclass)
                """
            ).scalar
            #expect(
                partitions
                    == "attendance_day_sy2023,attendance_day_sy2024,attendance_day_sy2025,bed_night_sy2023,bed_night_sy2025"
            )
            #expect(try db.execute("SELECT to_regclass('lastmile.attendance_day_unpartitioned') IS NULL").scalar == "t")
        }
    }

    /// Creates a login in `lastmile_loader` for `body`, dropped afterwards (roles are cluster-wide).
    func asLoader(_ url: String, _ owner: Connection, _ body: (Connection) throws -> Void) throws {
        let name = "lm_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try owner.execute(unsafeSQL: "CREATE ROLE \(name) LOGIN IN ROLE lastmile_loader")
        defer {
            _ = try? owner.execute(unsafeSQL: "DROP OWNED BY \(name)")
            _ = try? owner.execute(unsafeSQL: "DROP ROLE \(name)")
        }
        try body(try Connection(url + " user=\(name)"))
    }

    func expectState(
        _ db: Connection, _ sql: String, _ state: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try db.execute(unsafeSQL: sql)
            Issue.record("allowed: \(sql)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.sqlState?.rawValue == state, "\(sql): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func theLoaderCreatesAndDropsOnlyOnePartitionThroughTheOwnersFunctions() throws {
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: logger)
            try owner.execute(
                unsafeSQL:
                    "INSERT INTO lastmile.run (run_id, pipeline, as_of, status) VALUES (1, 'n', '2030-09-01', 'running')"
            )
            try asLoader(url, owner) { loader in
                let insert =
                    "INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, "
                    + "status, run_id) VALUES ('usd', 'S-1', '2030-09-01', 'P1', 'RHS', 'present', 1)"
                // No partition for the year, and no default one: the row is refused, not parked.
                expectState(loader, insert, "23514")
                expectState(
                    loader,
                    "CREATE TABLE lastmile.attendance_day_sy2030 PARTITION OF lastmile.attendance_day "
                        + "FOR VALUES FROM ('2030-07-01') TO ('2031-07-01')", "42501")
                let ensure = "SELECT lastmile.ensure_school_year_partition('attendance_day', 2030)"
                #expect(try loader.execute(ensure).scalar == "t")
                #expect(try loader.execute(ensure).scalar == "f")
                try loader.execute(unsafeSQL: insert)
                // Its partition is read only through the parent; the functions refuse other tables and years.
                expectState(loader, "SELECT * FROM lastmile.attendance_day_sy2030", "42501")
                expectState(loader, "SELECT lastmile.ensure_school_year_partition('flag', 2030)", "22023")
                expectState(loader, "SELECT lastmile.ensure_school_year_partition('attendance_day', 12030)", "22023")
                expectState(loader, "SELECT lastmile.drop_school_year_partition('flag; DROP TABLE x', 2030)", "22023")
                let dropped = try loader.execute("SELECT lastmile.drop_school_year_partition('attendance_day', 2030)")
                #expect(dropped.scalar == "1")
                #expect(try loader.execute("SELECT count(*) FROM lastmile.attendance_day").scalar == "0")
                #expect(
                    try loader.execute("SELECT lastmile.drop_school_year_partition('bed_night', 2030) IS NULL").scalar
                        == "t")
            }
        }
    }
}
