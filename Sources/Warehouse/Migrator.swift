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
///
/// The schema's state is read first, with reads that every lastmile role may make, so that a login that may
/// not change the schema (the loader, a report reader) runs against a current schema without ever issuing
/// DDL. Only a schema that is behind is migrated, and only by a login that owns the `lastmile` schema (or,
/// before it exists, may create it); any other login is told to run `lastmile db migrate` as the owner.
public struct Migrator {
    /// The advisory-lock key that keeps two migrators (two runs starting at once) apart.
    public static let lockKey: Int64 = 0x6C61_7374_6D69_0001

    public let migrations: [Migration]

    public init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The newest version this binary knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies the pending migrations and returns them (empty when the schema is current).
    ///
    /// Throws `.schemaBehind` (78) when migrations are pending and this login does not own the schema,
    /// `.schemaAhead` (78) when the warehouse has a migration newer than this binary, and
    /// `.migrationChanged` (78) when an applied migration was edited.
    @discardableResult
    public func migrate(_ connection: Connection, logger: Logger) throws -> [Migration] {
        let applied = try appliedChecksums(connection)
        guard try !pending(applied, connection).isEmpty else { return [] }
        guard try mayChangeSchema(connection) else {
            let version = applied?.keys.max().map(String.init) ?? "none"
            throw WarehouseError(
                kind: .schemaBehind, context: "check the schema version",
                clientMessage:
                    "the warehouse schema is at version \(version); "
                    + "this lastmile needs version \(latestVersion), and this login does not own the schema: "
                    + "run `lastmile db migrate` as the schema owner")
        }
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
        // Another migrator may have applied some while this one waited for the lock: read again.
        var done: [Migration] = []
        for migration in try pending(try appliedChecksums(connection), connection) {
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
        try appliedChecksums(connection)?.keys.max()
    }

    /// Applied versions and their checksums; nil when `lastmile.schema_migration` does not exist.
    ///
    /// Existence is read from the catalog, which every login may read; the table itself is readable by every
    /// lastmile role (migration 5). A login without that grant gets `.server` 42501 (exit 77).
    func appliedChecksums(_ connection: Connection) throws -> [Int: String]? {
        let exists = try connection.execute(
            """
            SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'lastmile' AND c.relname = 'schema_migration')
            """
        ).scalar
        guard exists == "t" else { return nil }
        let rows = try Self.readVersions(connection)
        var checksums: [Int: String] = [:]
        for row in rows {
            if let version = row.int("version"), let checksum = row["checksum"] { checksums[version] = checksum }
        }
        return checksums
    }

    /// The rows of `lastmile.schema_migration`; a login that may not read them is told what to do.
    static func readVersions(_ connection: Connection) throws(WarehouseError) -> [QueryResult.Row] {
        do {
            return try connection.execute("SELECT version, checksum FROM lastmile.schema_migration").rows
        } catch {
            guard error.sqlState == .insufficientPrivilege else { throw error }
            var denied = error
            denied.context =
                "read the schema version (lastmile.schema_migration; readable by every lastmile role from schema "
                + "version 5: run `lastmile db migrate` as the schema owner if it is older)"
            throw denied
        }
    }

    /// The migrations not applied yet, after checking that the applied ones are unchanged and none is newer
    /// than this binary. Reads only.
    func pending(_ applied: [Int: String]?, _ connection: Connection) throws -> [Migration] {
        guard let applied else { return migrations }
        if let newest = applied.keys.max(), newest > latestVersion {
            throw WarehouseError(
                kind: .schemaAhead, context: "check the schema version",
                clientMessage:
                    "the warehouse schema is at version \(newest), newer than this lastmile (which knows up to "
                    + "version \(latestVersion)): install the lastmile that migrated it")
        }
        var pending: [Migration] = []
        for migration in migrations {
            guard let checksum = applied[migration.version] else {
                pending.append(migration)
                continue
            }
            let current = try connection.execute("SELECT md5($1)", [migration.sql]).scalar
            guard current == checksum else {
                throw WarehouseError(
                    kind: .migrationChanged, context: "migrate",
                    clientMessage:
                        "migration \(migration.version) (\(migration.name)) was changed after it was applied; "
                        + "add a new migration instead of editing an applied one")
            }
        }
        return pending
    }

    /// Whether this login may change the schema: it owns `lastmile` (directly or through a role it inherits,
    /// or as a superuser), or the schema does not exist yet and it may create schemas in this database.
    func mayChangeSchema(_ connection: Connection) throws -> Bool {
        try connection.execute(
            """
            SELECT coalesce((SELECT pg_catalog.pg_has_role(n.nspowner, 'USAGE') FROM pg_catalog.pg_namespace n
                             WHERE n.nspname = 'lastmile'),
                            pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'))
            """
        ).scalar == "t"
    }
}
