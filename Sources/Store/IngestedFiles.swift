import Foundation
import LastMileCore
import Warehouse

/// The input-file ledger `lastmile.ingested_file`: which file (source and SHA-256) a run loaded, so the same
/// file is never loaded twice unless it is marked to be loaded again (`reprocess`).
package struct IngestedFiles {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// One loaded file as the ledger records it (never its content).
    package struct Entry: Sendable, Equatable {
        package var source: String
        package var sha256: String
        package var fileName: String
        package var bytes: Int
        package var rowsRead: Int
        package var runId: Int64
        package var loadedAt: Date
        /// Marked to be loaded again by the next run (`lastmile files forget`).
        package var reprocess: Bool
        package var reprocessedRun: Int64?
    }

    /// True when `source` already loaded a file with this checksum.
    package func contains(source: String, sha256: String) throws -> Bool {
        try entry(source: source, sha256: sha256) != nil
    }

    /// The ledger's row of `source`'s file with this checksum, nil when it was never loaded.
    package func entry(source: String, sha256: String) throws -> Entry? {
        try entries(where: "source = $1 AND sha256 = $2", [source, sha256]).first
    }

    /// Records that run `runId` loaded the file (its name, size and rows read, never its content) at `now`.
    package func record(
        source: String, sha256: String, fileName: String, bytes: Int, rowsRead: Int, runId: Int64, at now: Date
    ) throws {
        try connection.execute(
            """
            INSERT INTO lastmile.ingested_file (source, sha256, file_name, bytes, rows_read, run_id, loaded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)
            """, [source, sha256, fileName, bytes, rowsRead, runId, Clock.sqlTimestamp(now)])
    }

    /// Records that run `runId` loaded an already loaded file again: its rows read, the run, and no longer
    /// marked for reprocessing. The run that first loaded it and when stay.
    package func recordReprocessed(source: String, sha256: String, fileName: String, rowsRead: Int, runId: Int64)
        throws
    {
        try connection.execute(
            """
            UPDATE lastmile.ingested_file SET rows_read = $3, reprocessed_run = $4, reprocess = false, file_name = $5
            WHERE source = $1 AND sha256 = $2
            """, [source, sha256, rowsRead, runId, fileName])
    }

    /// The newest loaded file of `source` (by when it was loaded), nil when none was.
    package func newest(source: String) throws -> Entry? {
        try entries(where: "source = $1", [source], order: "loaded_at DESC, run_id DESC LIMIT 1").first
    }

    /// Every loaded file, of `source` when given, oldest first.
    package func list(source: String? = nil) throws -> [Entry] {
        guard let source else { return try entries(where: "true", [], order: "loaded_at, source, file_name") }
        return try entries(where: "source = $1", [source], order: "loaded_at, file_name")
    }

    /// Marks the loaded files named `fileName` (of `source` when given) to be loaded again by the next run.
    /// - Returns: the files marked.
    package func markForReprocessing(fileName: String, source: String?) throws -> [Entry] {
        var parameters: [any SQLParameter] = [fileName]
        var filter = "file_name = $1"
        if let source {
            parameters.append(source)
            filter += " AND source = $2"
        }
        let marked = try connection.execute(
            "UPDATE lastmile.ingested_file SET reprocess = true WHERE \(filter) RETURNING source, sha256", parameters
        ).rows
        return try marked.compactMap { row in
            guard let source = row["source"], let sha = row["sha256"] else { return nil }
            return try entry(source: source, sha256: sha)
        }
    }

    private func entries(where filter: String, _ parameters: [any SQLParameter], order: String = "loaded_at")
        throws -> [Entry]
    {
        try connection.execute(
            """
            SELECT source, sha256, file_name, bytes, rows_read, run_id, extract(epoch FROM loaded_at) AS loaded_at,
                   reprocess, reprocessed_run
            FROM lastmile.ingested_file WHERE \(filter) ORDER BY \(order)
            """, parameters
        ).rows.compactMap { row in
            guard let source = row["source"], let sha = row["sha256"], let name = row["file_name"],
                let run = row["run_id"].flatMap({ Int64($0) }), let epoch = row["loaded_at"].flatMap({ Double($0) })
            else { return nil }
            return Entry(
                source: source, sha256: sha, fileName: name, bytes: row.int("bytes") ?? 0,
                rowsRead: row.int("rows_read") ?? 0, runId: run, loadedAt: Date(timeIntervalSince1970: epoch),
                reprocess: row.bool("reprocess") == true, reprocessedRun: row["reprocessed_run"].flatMap { Int64($0) })
        }
    }
}
