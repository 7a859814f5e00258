// Proves migrations are idempotent, recorded, and refuse an applied migration that was edited afterwards.
import Foundation
import Logging
import TestSupport
import Testing
import Warehouse

@Suite struct MigrationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func schemaShape(_ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT table_name || '.' || column_name || ':' || data_type
            FROM information_schema.columns WHERE table_schema = 'lastmile' ORDER BY 1
            """
        ).rows.compactMap { $0[0] }
    }

    @Test func migratingTwiceEqualsOnce() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let first = try Migrator().migrate(db, logger: logger)
            #expect(first.count == Migration.all.count)
            let shape = try schemaShape(db)
            #expect(shape.contains("flag.patient_id:text"))
            #expect(shape.contains("attendance_day.attendance_date:date"))
            let second = try Migrator().migrate(db, logger: logger)
            #expect(second.isEmpty)
            #expect(try schemaShape(db) == shape)
            #expect(try db.execute("SELECT count(*) FROM lastmile.schema_migration").scalar == "\(Migration.all.count)")
            #expect(try Migrator().currentVersion(db) == Migration.all.map(\.version).max())
        }
    }

    @Test func failingMigrationLeavesNoTrace() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let broken =
                Migration.all + [
                    Migration(version: 999, name: "broken", sql: "CREATE TABLE lastmile.half (id int); SELECT 1/0;")
                ]
            #expect(throws: WarehouseError.self) { try Migrator(migrations: broken).migrate(db, logger: logger) }
            #expect(try db.execute("SELECT to_regclass('lastmile.half') IS NULL").scalar == "t")
            #expect(try Migrator().currentVersion(db) == Migration.all.map(\.version).max())
        }
    }

    @Test func editedAppliedMigrationIsRefused() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: logger)
            var edited = Migration.all
            edited[0].sql += "\n-- edited"
            let error = try #require(throws: WarehouseError.self) {
                try Migrator(migrations: edited).migrate(db, logger: logger)
            }
            #expect(error.kind == .migrationChanged)
            #expect(error.exitStatus == .configuration)
        }
    }
}
