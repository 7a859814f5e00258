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
    /// text differ), computed by the server so that only the hashes' sum crosses the wire to check the index.
    static let rowHashSQL = """
        hashtextextended(row(p.patient_id, p.given_name, p.family_name, p.birth_date, p.sex, p.street, p.city,
            p.state, p.postal_code, p.phone, p.ssn)::text, 0)
        """

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

    /// Hands the active patients to `body` in batches of `batchSize`, in patient id byte order, through a
    /// cursor: memory holds one batch. Call inside a transaction.
    package static func forEachActiveBatch(
        _ connection: Connection, batchSize: Int = 50_000, _ body: ([PatientIndexRow]) throws -> Void
    ) throws {
        try connection.execute(
            unsafeSQL: """
                DECLARE lastmile_mpi_index NO SCROLL CURSOR FOR
                SELECT \(columns), \(rowHashSQL) AS row_hash
                FROM lastmile.patient p WHERE p.active ORDER BY p.patient_id COLLATE "C"
                """)
        while true {
            let rows = try connection.execute(unsafeSQL: "FETCH FORWARD \(batchSize) FROM lastmile_mpi_index").rows
            if rows.isEmpty { break }
            try body(rows.compactMap(indexRow))
        }
        try connection.execute(unsafeSQL: "CLOSE lastmile_mpi_index")
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
