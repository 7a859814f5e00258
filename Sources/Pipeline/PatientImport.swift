import Extractors
import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

/// What one MPI snapshot load did to `lastmile.patient`.
public struct PatientImportSummary: Sendable, Hashable {
    /// The snapshot file, as named in messages.
    public var file: String
    /// Data rows read (accepted and rejected).
    public var rowsRead = 0
    /// Patients new to the warehouse.
    public var inserted = 0
    /// Active patients whose demographics changed.
    public var updated = 0
    /// Active patients whose demographics did not change (rows left untouched).
    public var unchanged = 0
    /// Patients absent from this snapshot, now inactive (never deleted).
    public var retired = 0
    /// Retired patients back in this snapshot, active again (their demographics refreshed).
    public var reactivated = 0
    /// Rows quarantined: where and why, never their values.
    public var rejections: [RowRejection] = []

    /// How many rows were quarantined.
    public var rejected: Int { rejections.count }

    public init(file: String) {
        self.file = file
    }

    /// The counts as `name value` pairs, in the order the CLI prints them.
    public var counts: [(name: String, value: Int)] {
        [
            ("read", rowsRead), ("inserted", inserted), ("updated", updated), ("unchanged", unchanged),
            ("retired", retired), ("reactivated", reactivated), ("rejected", rejected),
        ]
    }
}

/// Loads or refreshes the MPI snapshot (the HIE's patient extract) into `lastmile.patient`.
///
/// The file is the canonical person CSV (`CanonicalPersonReader`) whose `id` is the HIE patient id. Rows are
/// streamed by COPY into a temporary staging table, then applied set-based: new patients inserted; active
/// patients updated only when `demographics_hash` (`DemographicsFingerprint.of`) changed; patients absent from
/// the snapshot retired (`active = false`, `retired_at`), never deleted; a retired patient who returns is
/// re-activated. Loading the same snapshot twice changes nothing the second time.
///
/// A bad row (unparseable date, unknown sex code, empty or repeated id, ragged row) is quarantined and
/// counted by file and line. A file that is unusable as a whole (missing, not text, a column missing, or
/// without a single usable row — which would retire every patient) throws with exit status 65 and changes
/// nothing. `maxRetiredPercent` guards against a truncated extract: when the snapshot would retire more than
/// that share of the active patients, the load throws (65) instead.
public enum PatientImport {
    /// Loads `file` in a transaction of its own: everything or nothing.
    @discardableResult
    public static func run(
        file: String, maxRetiredPercent: Double? = nil, connection: Connection, logger: Logger
    ) throws -> PatientImportSummary {
        try connection.withTransaction {
            try load(file: file, maxRetiredPercent: maxRetiredPercent, connection: connection, logger: logger)
        }
    }

    /// Loads `file` inside the caller's open transaction (the nightly run's); the caller commits or rolls back.
    @discardableResult
    public static func load(
        file: String, maxRetiredPercent: Double? = nil, connection: Connection, logger: Logger
    ) throws -> PatientImportSummary {
        let started = ContinuousClock.now
        let reader = try CanonicalPersonReader(path: file)
        var summary = PatientImportSummary(file: reader.csv.file)

        try connection.execute(unsafeSQL: """
            DROP TABLE IF EXISTS pg_temp.mpi_stage;
            CREATE TEMP TABLE mpi_stage (
                patient_id text PRIMARY KEY, given_name text, family_name text, birth_date date, sex text,
                street text, city text, state text, postal_code text, phone text, ssn text,
                demographics_hash text NOT NULL
            ) ON COMMIT DROP;
            """)
        var seen = Set<String>()
        try connection.withCopy(
            """
            COPY mpi_stage (patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code,
                phone, ssn, demographics_hash) FROM STDIN
            """
        ) { writer in
            while let result = try reader.next() {
                summary.rowsRead += 1
                switch result {
                case .failure(let rejection):
                    summary.rejections.append(rejection)
                case .success(let row):
                    guard seen.insert(row.id).inserted else {
                        summary.rejections.append(
                            RowRejection(
                                file: summary.file, line: row.line, column: "id",
                                reason: .invalid(expected: "a patient id not already on an earlier line")))
                        continue
                    }
                    let p = row.person
                    try writer.append(row.id)
                    try writer.append(p.givenName)
                    try writer.append(p.familyName)
                    try writer.append(p.birthDate?.description)
                    try writer.append(p.sex?.rawValue)
                    try writer.append(p.street)
                    try writer.append(p.city)
                    try writer.append(p.state)
                    try writer.append(p.postalCode)
                    try writer.append(p.phone)
                    try writer.append(p.ssn)
                    try writer.append(DemographicsFingerprint.of(p))
                    try writer.endRow()
                }
            }
        }
        guard !seen.isEmpty else {
            throw ReferenceDataError(
                file: summary.file,
                problem: "no usable patient rows (\(summary.rejected) rejected); refusing to retire every patient")
        }
        try connection.execute(unsafeSQL: "ANALYZE mpi_stage")
        if let maxRetiredPercent {
            let row = try connection.execute(
                """
                SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM mpi_stage s WHERE s.patient_id = p.patient_id))
                           AS retiring,
                       count(*) AS active
                FROM lastmile.patient p WHERE p.active
                """
            ).rows.first
            let retiring = row?.int("retiring") ?? 0
            let active = row?.int("active") ?? 0
            if active > 0, Double(retiring) * 100 > maxRetiredPercent * Double(active) {
                throw ReferenceDataError(
                    file: summary.file,
                    problem:
                        "would retire \(retiring) of \(active) active patients, over the limit of \(maxRetiredPercent.formatted) %; "
                        + "check that the extract is complete, or raise the limit")
            }
        }

        let assign = """
            given_name = s.given_name, family_name = s.family_name, birth_date = s.birth_date, sex = s.sex,
            street = s.street, city = s.city, state = s.state, postal_code = s.postal_code, phone = s.phone,
            ssn = s.ssn, demographics_hash = s.demographics_hash, active = true, retired_at = NULL,
            updated_at = now()
            """
        // Re-activations first, so the update below sees them as active and unchanged.
        summary.reactivated = try connection.execute(
            "UPDATE lastmile.patient p SET \(assign) FROM mpi_stage s WHERE p.patient_id = s.patient_id AND NOT p.active"
        ).affectedRows ?? 0
        summary.updated = try connection.execute(
            """
            UPDATE lastmile.patient p SET \(assign) FROM mpi_stage s
            WHERE p.patient_id = s.patient_id AND p.active AND p.demographics_hash <> s.demographics_hash
            """
        ).affectedRows ?? 0
        summary.inserted = try connection.execute(
            """
            INSERT INTO lastmile.patient (patient_id, given_name, family_name, birth_date, sex, street, city, state,
                postal_code, phone, ssn, demographics_hash)
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone,
                ssn, demographics_hash
            FROM mpi_stage s
            WHERE NOT EXISTS (SELECT 1 FROM lastmile.patient p WHERE p.patient_id = s.patient_id)
            """
        ).affectedRows ?? 0
        summary.retired = try connection.execute(
            """
            UPDATE lastmile.patient p SET active = false, retired_at = now(), updated_at = now()
            WHERE p.active AND NOT EXISTS (SELECT 1 FROM mpi_stage s WHERE s.patient_id = p.patient_id)
            """
        ).affectedRows ?? 0
        summary.unchanged = seen.count - summary.inserted - summary.updated - summary.reactivated
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.mpi_stage")

        logger.info(
            "mpi snapshot loaded",
            metadata: [
                "file": "\(summary.file)", "rows.read": .number(summary.rowsRead),
                "inserted": .number(summary.inserted), "updated": .number(summary.updated),
                "unchanged": .number(summary.unchanged), "retired": .number(summary.retired),
                "reactivated": .number(summary.reactivated), "rejected": .number(summary.rejected),
                "seconds": .seconds((ContinuousClock.now - started).seconds),
            ])
        return summary
    }
}

extension Double {
    /// `25` for 25.0, `2.5` for 2.5.
    fileprivate var formatted: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
