import Foundation
import LastMileCore
import Warehouse

/// The input-file ledger `lastmile.ingested_file`: which file (source and SHA-256) a run loaded, so the same
/// file is never loaded twice.
package struct IngestedFiles {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// True when `source` already loaded a file with this checksum.
    package func contains(source: String, sha256: String) throws -> Bool {
        !(try connection.execute(
            "SELECT 1 FROM lastmile.ingested_file WHERE source = $1 AND sha256 = $2", [source, sha256]
        ).rows.isEmpty)
    }

    /// Records that run `runId` loaded the file (its name, size and rows read, never its content).
    package func record(source: String, sha256: String, fileName: String, bytes: Int, rowsRead: Int, runId: Int64)
        throws
    {
        try connection.execute(
            """
            INSERT INTO lastmile.ingested_file (source, sha256, file_name, bytes, rows_read, run_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, [source, sha256, fileName, bytes, rowsRead, runId])
    }
}
