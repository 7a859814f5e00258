import Foundation
import Logging

/// One versioned schema change: plain SQL, applied once, in order, inside a transaction.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies `Migration.all` to a warehouse and records them in `lastmile.schema_migration`.
///
/// Running it twice equals running it once: applied versions are skipped, and an applied migration whose
/// text changed since is refused (its checksum, md5 of the SQL, no longer matches).
public struct Migrator {
    /// The advisory-lock key that keeps two migrators (two runs starting at once) apart.
    public static let lockKey: Int64 = 0x6C61_7374_6D69_0001

    public let migrations: [Migration]

    public init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies the pending migrations and returns them (empty when the schema is current).
    @discardableResult
    public func migrate(_ connection: Connection, logger: Logger) throws -> [Migration] {
        guard try connection.advisoryLock(Self.lockKey, timeoutSeconds: 120) else {
            throw WarehouseError(kind: .lockHeld, context: "migrate")
        }
        defer { _ = try? connection.advisoryUnlock(Self.lockKey) }
        try connection.execute(
            unsafeSQL: """
                CREATE SCHEMA IF NOT EXISTS lastmile;
                CREATE TABLE IF NOT EXISTS lastmile.schema_migration (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """)
        let applied = try connection.execute("SELECT version, checksum FROM lastmile.schema_migration")
        var appliedChecksums: [Int: String] = [:]
        for row in applied.rows {
            if let v = row.int("version"), let c = row["checksum"] { appliedChecksums[v] = c }
        }
        var done: [Migration] = []
        for migration in migrations {
            if let checksum = appliedChecksums[migration.version] {
                let current = try connection.execute("SELECT md5($1)", [migration.sql]).scalar
                guard current == checksum else {
                    throw WarehouseError(
                        kind: .migrationChanged, context: "migrate",
                        clientMessage:
                            "migration \(migration.version) (\(migration.name)) was changed after it was applied; "
                            + "add a new migration instead of editing an applied one")
                }
                continue
            }
            try connection.withTransaction {
                try connection.execute(unsafeSQL: migration.sql)
                try connection.execute(
                    "INSERT INTO lastmile.schema_migration (version, name, checksum) VALUES ($1, $2, md5($3))",
                    [migration.version, migration.name, migration.sql])
            }
            logger.info("applied migration", metadata: ["migration.version": .stringConvertible(migration.version)])
            done.append(migration)
        }
        return done
    }

    /// The highest applied version, or nil for a warehouse never migrated.
    public func currentVersion(_ connection: Connection) throws -> Int? {
        let exists = try connection.execute("SELECT to_regclass('lastmile.schema_migration') IS NOT NULL").scalar
        guard exists == "t" else { return nil }
        return try connection.execute("SELECT max(version) FROM lastmile.schema_migration").scalar.flatMap { Int($0) }
    }
}
