import Foundation
import LastMileCore
import Warehouse

/// One patient of an MPI snapshot, ready to stage: the HIE patient id, the demographics and their hash
/// (`DemographicsFingerprint.of`, which decides whether a stored patient changed).
package typealias StagedPatient = (patientId: String, person: PersonIdentity, demographicsHash: String)

/// What applying a staged snapshot did to `lastmile.patient`.
package struct PatientSnapshotChanges: Equatable {
    package var reactivated = 0
    package var updated = 0
    package var inserted = 0
    package var retired = 0
}

/// The MPI snapshot in `lastmile.patient`, loaded through a temporary staging table (`mpi_stage`) and applied
/// set-based: re-activations, changed demographics (by `demographics_hash`), new patients, retirements.
package struct PatientStore {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// Creates the staging table and COPYs the patients `next` hands out (until it returns nil) into it.
    package func stage(_ next: () throws -> StagedPatient?) throws {
        try stageChanges { try next().map { ($0, retire: false) } }
    }

    /// Like `stage`, for a delta: each patient is added or updated, or retired when `retire` is true.
    package func stageChanges(_ next: () throws -> (patient: StagedPatient, retire: Bool)?) throws {
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.mpi_stage;
                CREATE TEMP TABLE mpi_stage (
                    patient_id text PRIMARY KEY, given_name text, family_name text, birth_date date, sex text,
                    street text, city text, state text, postal_code text, phone text, ssn text,
                    demographics_hash text NOT NULL, retire boolean NOT NULL
                ) ON COMMIT DROP;
                """)
        _ = try connection.withCopy(
            """
            COPY mpi_stage (patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code,
                phone, ssn, demographics_hash, retire) FROM STDIN
            """
        ) { writer in
            while let change = try next() {
                let staged = change.patient
                let p = staged.person
                try writer.append(staged.patientId)
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
                try writer.append(staged.demographicsHash)
                try writer.append(change.retire ? "t" : "f")
                try writer.endRow()
            }
        }
    }

    /// Analyses the staged snapshot (call once it is complete, before the queries below).
    package func analyseStage() throws {
        try connection.execute(unsafeSQL: "ANALYZE mpi_stage")
    }

    /// How many active patients the staged snapshot would retire, of how many active ones.
    package func retirementPreview() throws -> (retiring: Int, active: Int) {
        let row = try connection.execute(
            """
            SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM mpi_stage s WHERE s.patient_id = p.patient_id))
                       AS retiring,
                   count(*) AS active
            FROM lastmile.patient p WHERE p.active
            """
        ).rows.first
        return (row?.int("retiring") ?? 0, row?.int("active") ?? 0)
    }

    /// Applies the staged snapshot and drops the staging table. A snapshot (`delta` false) retires every active
    /// patient it does not hold; a delta retires only the patients it marks so. A patient merged into another
    /// (`lastmile.patient_merge`) stays retired until unmerged, whatever the EMPI still sends of it.
    /// Retirements are stamped `retiredAt` (the caller's clock); without one, the server's time.
    package func applyStage(delta: Bool = false, retiredAt: Date? = nil) throws -> PatientSnapshotChanges {
        let assign = """
            given_name = s.given_name, family_name = s.family_name, birth_date = s.birth_date, sex = s.sex,
            street = s.street, city = s.city, state = s.state, postal_code = s.postal_code, phone = s.phone,
            ssn = s.ssn, demographics_hash = s.demographics_hash, active = true, retired_at = NULL,
            updated_at = now()
            """
        var changes = PatientSnapshotChanges()
        // Re-activations first, so the update below sees them as active and unchanged.
        changes.reactivated = try affected(
            """
            UPDATE lastmile.patient p SET \(assign) FROM mpi_stage s
            WHERE p.patient_id = s.patient_id AND NOT p.active AND NOT s.retire AND NOT EXISTS (
                SELECT 1 FROM lastmile.patient_merge m WHERE m.merged_patient_id = p.patient_id AND m.unmerged_at IS NULL)
            """)
        changes.updated = try affected(
            """
            UPDATE lastmile.patient p SET \(assign) FROM mpi_stage s
            WHERE p.patient_id = s.patient_id AND p.active AND p.demographics_hash <> s.demographics_hash
              AND NOT s.retire
            """)
        changes.inserted = try affected(
            """
            INSERT INTO lastmile.patient (patient_id, given_name, family_name, birth_date, sex, street, city, state,
                postal_code, phone, ssn, demographics_hash)
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone,
                ssn, demographics_hash
            FROM mpi_stage s
            WHERE NOT s.retire AND NOT EXISTS (SELECT 1 FROM lastmile.patient p WHERE p.patient_id = s.patient_id)
            """)
        let retiring =
            delta
            ? "EXISTS (SELECT 1 FROM mpi_stage s WHERE s.patient_id = p.patient_id AND s.retire)"
            : "NOT EXISTS (SELECT 1 FROM mpi_stage s WHERE s.patient_id = p.patient_id)"
        let stamp = "coalesce($1::timestamptz, now())"
        changes.retired =
            try connection.execute(
                "UPDATE lastmile.patient p SET active = false, retired_at = \(stamp), updated_at = \(stamp) "
                    + "WHERE p.active AND " + retiring, [retiredAt.map(Clock.sqlTimestamp)]
            ).affectedRows ?? 0
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.mpi_stage")
        return changes
    }

    private func affected(_ sql: String) throws -> Int {
        try connection.execute(sql).affectedRows ?? 0
    }
}
