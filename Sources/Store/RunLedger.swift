import Foundation
import LastMileCore
import Warehouse

/// One input file of a run, as the ledger records it (never its content).
public struct RunInput: Sendable, Codable, Equatable {
    public var source: String
    public var file: String
    public var sha256: String
    public var bytes: Int
    /// True when the same file (source and checksum) was loaded before and was skipped.
    public var skipped: Bool
    /// True when the file was loaded before and loaded again, replacing what it produced (`--reprocess`).
    public var reprocessed: Bool

    package init(source: String, file: String, sha256: String, bytes: Int, skipped: Bool, reprocessed: Bool = false) {
        self.source = source
        self.file = file
        self.sha256 = sha256
        self.bytes = bytes
        self.skipped = skipped
        self.reprocessed = reprocessed
    }
}

/// The `lastmile.run` ledger: a row per run with its status, inputs and per-stage counts.
///
/// The row is written outside the run's transaction (so a failed or killed run leaves its trace), and its
/// final counts inside it (so they are committed with the data they describe).
public struct RunLedger {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// The high 32 bits of a run's own advisory lock key; the low 32 bits are its run id.
    package static let runLockNamespace: Int64 = 0x6C61_7352

    /// The advisory lock a live run holds from `start` until its process ends (or `release`).
    package static func runLockKey(_ runId: Int64) -> Int64 { runLockNamespace << 32 | (runId & 0xFFFF_FFFF) }

    /// The message of a run whose process ended while it was `running`.
    public static let interruptedMessage =
        "interrupted: the process ended before the run finished; nothing of it was committed"

    /// SQL: true when the run `r` is `running` but no session holds its own lock (`runLockKey`): its process
    /// died (killed, the machine went down). `$2` is `runLockNamespace`. pg_locks is readable by every role.
    static let interruptedCondition = """
        r.status = 'running' AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
              AND l.classid::bigint = $2 AND l.objid::bigint = (r.run_id & 4294967295))
        """

    /// SQL: the status a listing shows: `interrupted` for a run left `running` by a process that died, before
    /// the next run closes it as `failed` (`interruptedCondition`; `$2` is `runLockNamespace`).
    static let shownStatus = "CASE WHEN \(interruptedCondition) THEN 'interrupted' ELSE r.status END"

    /// Marks runs left `running` by a process that died as `failed`: those whose own lock (`runLockKey`) no
    /// session holds. Runs of other sources going on at the same time hold theirs and are left alone.
    @discardableResult
    public func closeAbandonedRuns(at now: Date) throws -> Int {
        try connection.execute(
            """
            UPDATE lastmile.run r SET status = 'failed', finished_at = $1::timestamptz, message = $3
            WHERE \(Self.interruptedCondition)
            """, [Clock.sqlTimestamp(now), Self.runLockNamespace, Self.interruptedMessage]
        ).affectedRows ?? 0
    }

    /// Releases the run's own lock (taken by `start`); the end of the session releases it too.
    public func release(runId: Int64) throws {
        _ = try connection.advisoryUnlock(Self.runLockKey(runId))
    }

    /// The pipeline's runs that ended without committing (status `failed`, including those closed as
    /// abandoned), except `runId`.
    package func uncommittedRuns(pipeline: String, except runId: Int64?) throws -> Set<Int64> {
        Set(
            try connection.execute(
                "SELECT run_id FROM lastmile.run WHERE pipeline = $1 AND status = 'failed' AND run_id <> $2",
                [pipeline, Int(runId ?? 0)]
            ).rows.compactMap { $0["run_id"].flatMap { Int64($0) } })
    }

    /// Records a run as `running` and takes its own lock (`runLockKey`) in the same statement, so no other run
    /// ever sees the row without the lock and closes it as abandoned.
    public func start(pipeline: String, asOf: CivilDate, at now: Date) throws -> Int64 {
        let row = try connection.execute(
            """
            WITH started AS (
                INSERT INTO lastmile.run (pipeline, as_of, status, started_at)
                VALUES ($1, $2::date, 'running', $3::timestamptz)
                RETURNING run_id
            )
            SELECT run_id, pg_advisory_lock(($4::bigint << 32) | (run_id & 4294967295)) FROM started
            """,
            [pipeline, asOf, Clock.sqlTimestamp(now), Self.runLockNamespace])
        guard let id = row.scalar.flatMap({ Int64($0) }) else {
            throw WarehouseError(kind: .server, context: "start the run ledger", clientMessage: "no run id returned")
        }
        return id
    }

    public func finish(
        runId: Int64, status: String, inputs: [RunInput], counts: some Encodable, message: String?, at now: Date
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try connection.execute(
            """
            UPDATE lastmile.run SET status = $2, finished_at = $6::timestamptz, inputs = $3::jsonb, counts = $4::jsonb,
                message = $5
            WHERE run_id = $1
            """,
            [
                runId, status, String(decoding: try encoder.encode(inputs), as: UTF8.self),
                String(decoding: try encoder.encode(counts), as: UTF8.self), message, Clock.sqlTimestamp(now),
            ])
    }

    /// When the pipeline's last complete successful run finished (a partial night, exit 79, is not one), nil
    /// when none has.
    package func lastSuccess(pipeline: String) throws -> Date? {
        try connection.execute(
            """
            SELECT extract(epoch FROM max(finished_at)) FROM lastmile.run
            WHERE status = 'succeeded' AND pipeline = $1 AND coalesce(message, '') NOT LIKE 'partial:%'
            """, [pipeline]
        ).scalar.flatMap { Double($0) }.map { Date(timeIntervalSince1970: $0) }
    }

    /// Asks the server to check every second that this client is still there, so a killed run's transaction
    /// and lock do not outlive it (PostgreSQL 14+; a no-op on older servers).
    package func checkClientEverySecond() throws {
        guard connection.serverVersion >= 140_000 else { return }
        try connection.execute(unsafeSQL: "SET client_connection_check_interval = 1000")
    }

    /// The last `limit` runs, newest first. A run whose process died while it ran shows as `interrupted`
    /// (with no duration), whether or not a later run has closed it yet.
    public func recent(limit: Int) throws -> [QueryResult.Row] {
        try connection.execute(
            """
            SELECT run_id, pipeline, as_of, status, started_at, finished_at,
                   CASE WHEN status = 'interrupted' THEN NULL ELSE seconds END AS seconds, inputs, counts,
                   CASE WHEN status = 'interrupted' THEN $3 ELSE message END AS message
            FROM (
                SELECT r.run_id, r.pipeline, r.as_of, \(Self.shownStatus) AS status, r.started_at, r.finished_at,
                       round(extract(epoch FROM coalesce(r.finished_at, now()) - r.started_at)::numeric, 1)
                           AS seconds,
                       jsonb_array_length(r.inputs) AS inputs, r.counts, r.message
                FROM lastmile.run r ORDER BY r.run_id DESC LIMIT $1
            ) shown ORDER BY run_id DESC
            """, [limit, Self.runLockNamespace, Self.interruptedMessage]
        ).rows
    }
}
