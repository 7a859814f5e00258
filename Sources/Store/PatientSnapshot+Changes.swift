import Foundation
import LastMileCore
import Warehouse

/// One patient row as the matcher's kept MPI index reads it: demographics nil when the patient is not active.
package typealias PatientIndexRow = (patientId: String, person: PersonIdentity?, rowHash: Int64)

/// The state of `lastmile.patient` the kept MPI index is checked against.
package struct PatientTableState: Equatable, Sendable {
    /// Active patients.
    package var active: Int
    /// The exact sum of the active patients' row hashes, in decimal (see `PatientSnapshot.rowHashSQL`).
    package var digest: String
    /// The latest `updated_at` of any patient row (text), nil when the table is empty.
    package var changedUpTo: String?
}

extension PatientSnapshot {
    /// A 64-bit hash of a patient row's id and every demographic column the matcher reads (NULL and empty
    /// text differ): the stored column of migration 19, which the server keeps right through any write, so only
    /// the hashes' sum crosses the wire to check the index.
    static let rowHashSQL = "p.row_hash"

    static let columns = """
        p.patient_id, p.active, p.given_name, p.family_name, p.birth_date, p.sex, p.street, p.city, p.state,
        p.postal_code, p.phone, p.ssn
        """

    /// The active patients' count and digest, and the latest change time: one scan, no rows sent.
    package static func state(_ connection: Connection) throws -> PatientTableState {
        let row = try connection.execute(
            """
            SELECT count(*) FILTER (WHERE p.active) AS active,
                   coalesce(sum(\(rowHashSQL)) FILTER (WHERE p.active), 0)::text AS digest,
                   max(p.updated_at)::text AS changed_up_to
            FROM lastmile.patient p
            """
        ).rows.first
        return PatientTableState(
            active: row?.int("active") ?? 0, digest: row?["digest"] ?? "0", changedUpTo: row?["changed_up_to"])
    }

    /// Hands the active patients to `body` in batches of `batchSize`, in the order of the table's scan (not
    /// sorted: the caller orders them), through a cursor: memory holds two batches. Call inside a transaction.
    ///
    /// Each batch is fetched and decoded on another thread while `body` takes the one before, so the server's
    /// scan and hashing and the client's decoding overlap the caller's work; without an `ORDER BY` the cursor
    /// sends its first rows at once instead of after sorting the whole MPI (serially: a cursor has no parallel
    /// workers). The connection is used by one thread at a time.
    package static func forEachActiveBatch(
        _ connection: Connection, batchSize: Int = 50_000, _ body: ([PatientIndexRow]) throws -> Void
    ) throws {
        try connection.execute(
            unsafeSQL: """
                DECLARE lastmile_mpi_index NO SCROLL CURSOR FOR
                SELECT \(columns), \(rowHashSQL) AS row_hash
                FROM lastmile.patient p WHERE p.active
                """)
        let fetch = "FETCH FORWARD \(batchSize) FROM lastmile_mpi_index"
        var next = PendingFetch(connection, fetch)
        while true {
            let rows = try next.rows()
            if rows.isEmpty { break }
            next = PendingFetch(connection, fetch)
            do {
                try body(rows)
            } catch {
                _ = try? next.rows()
                throw error
            }
        }
        try connection.execute(unsafeSQL: "CLOSE lastmile_mpi_index")
    }

    /// One batch being fetched and decoded on a thread of its own (not the global queue, whose few threads the
    /// caller's parallel work may hold); nothing else uses the connection until `rows()` has returned.
    private final class PendingFetch: @unchecked Sendable {
        private let connection: Connection
        private let sql: String
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<[PatientIndexRow], any Error> = .success([])

        init(_ connection: Connection, _ sql: String) {
            self.connection = connection
            self.sql = sql
            Thread.detachNewThread { [self] in
                result = Result { try self.connection.execute(unsafeSQL: self.sql).rows.compactMap(indexRow) }
                done.signal()
            }
        }

        /// Waits for the batch (once).
        func rows() throws -> [PatientIndexRow] {
            done.wait()
            return try result.get()
        }
    }

    /// Hands every patient row's id and row hash to `body` in batches of `batchSize`, in the order of the
    /// table's scan, through a cursor. Right after a first load COPYed the MPI into the empty table, in the same
    /// transaction, that is the order the rows were written (the caller checks each id, and does not rely on it).
    package static func forEachRowHash(
        _ connection: Connection, batchSize: Int = 100_000,
        _ body: ([(patientId: String, rowHash: Int64)]) throws -> Void
    ) throws {
        try connection.execute(
            unsafeSQL:
                "DECLARE lastmile_mpi_hashes NO SCROLL CURSOR FOR SELECT p.patient_id, \(rowHashSQL) FROM lastmile.patient p"
        )
        while true {
            let rows = try connection.execute(unsafeSQL: "FETCH FORWARD \(batchSize) FROM lastmile_mpi_hashes").rows
            if rows.isEmpty { break }
            try body(
                rows.compactMap { row in row[1].flatMap(Int64.init).flatMap { hash in row[0].map { ($0, hash) } } })
        }
        try connection.execute(unsafeSQL: "CLOSE lastmile_mpi_hashes")
    }

    /// The patient rows changed after `since`, active or not. A transaction that began before `since` but
    /// committed after the index was made is not seen here: the caller checks the result against the digest.
    package static func changed(_ connection: Connection, since: String) throws -> [PatientIndexRow] {
        try connection.execute(
            """
            SELECT \(columns), \(rowHashSQL) AS row_hash
            FROM lastmile.patient p WHERE p.updated_at > $1::timestamptz
            """, [since]
        ).rows.compactMap(indexRow)
    }

    private static func indexRow(_ row: QueryResult.Row) -> PatientIndexRow? {
        guard let id = row["patient_id"], let hash = row["row_hash"].flatMap({ Int64($0) }) else { return nil }
        guard row.bool("active") == true else { return (id, nil, hash) }
        return (
            id,
            PersonIdentity(
                sourcePersonId: id, givenName: row["given_name"], familyName: row["family_name"],
                birthDate: row.date("birth_date"), sex: row["sex"].flatMap(Sex.init(rawValue:)),
                street: row["street"], city: row["city"], state: row["state"], postalCode: row["postal_code"],
                phone: row["phone"], ssn: row["ssn"]),
            hash
        )
    }
}
