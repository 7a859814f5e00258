import Foundation
import LastMileCore
import Warehouse

/// The reference files last applied (`lastmile.reference_file`, migration 13), by kind and sha256.
package struct ReferenceFiles {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// The kind of the MPI snapshot.
    package static let mpiSnapshot = "mpi-snapshot"
    /// The kind of a pipeline's consent files: their sha256s, with a digest of the registry the import left.
    package static let consentFiles = "consent-files"

    /// The sha256 of the file of `kind` applied last, nil when none is recorded.
    package func lastApplied(kind: String) throws -> String? {
        try connection.execute("SELECT sha256 FROM lastmile.reference_file WHERE kind = $1", [kind]).scalar
    }

    /// Records that the file `fileName` with `sha256` was applied as `kind` at `at`.
    package func record(kind: String, sha256: String, fileName: String, at: Date) throws {
        try connection.execute(
            """
            INSERT INTO lastmile.reference_file (kind, sha256, file_name, applied_at) VALUES ($1, $2, $3, $4::timestamptz)
            ON CONFLICT (kind) DO UPDATE SET sha256 = EXCLUDED.sha256, file_name = EXCLUDED.file_name,
                applied_at = EXCLUDED.applied_at
            """, [kind, sha256, fileName, Clock.sqlTimestamp(at)])
    }

    /// Forgets the file of `kind` applied last (the table it fed changed since).
    package func forget(kind: String) throws {
        try connection.execute("DELETE FROM lastmile.reference_file WHERE kind = $1", [kind])
    }
}
