import Foundation
import LastMileCore
import Warehouse

/// One patient of an MPI snapshot, ready to stage: the HIE patient id, the demographics and their hash
/// (`PatientStore.demographicsHash(of:)`, which decides whether a stored patient changed).
package typealias StagedPatient = (patientId: String, person: PersonIdentity, demographicsHash: String)

/// What applying a staged snapshot did to `lastmile.patient`.
package struct PatientSnapshotChanges: Equatable {
    package var reactivated = 0
    package var updated = 0
    package var inserted = 0
    package var retired = 0

    package init(reactivated: Int = 0, updated: Int = 0, inserted: Int = 0, retired: Int = 0) {
        self.reactivated = reactivated
        self.updated = updated
        self.inserted = inserted
        self.retired = retired
    }
}

/// The MPI snapshot in `lastmile.patient`: a first load COPYed straight into the empty table; later ones
/// through a temporary staging table (`mpi_stage`), compared in one pass (`mpi_change`) and applied set-based:
/// re-activations, changed demographics (by `demographics_hash`), new patients, retirements.
package struct PatientStore {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// The version prefix of `demographicsHash(of:)`; a stored hash without it predates it (see `diffStage`).
    package static let hashVersion = "r1:"

    /// The hash of the demographics a patient row stores (`demographics_hash`): `r1:` and 32 hex digits, two
    /// 64-bit FNV-style hashes over the stored columns as written (an absent value told apart from any text).
    /// Equal hashes mean that a rewrite would store the same values. Cheap by design
    /// (a million patients a night); not cryptographic, and never published: demographics are guessable.
    package static func demographicsHash(of p: PersonIdentity) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x6c62_272e_07bb_0142
        func mix(_ byte: UInt8) {
            h1 = (h1 ^ UInt64(byte)) &* 0x100_0000_01b3
            h2 = (h2 &+ UInt64(byte)) &* 0x100_0000_01b3 ^ (h2 >> 29)
        }
        func add(_ field: String?) {
            if let field {
                for b in field.utf8 { mix(b) }
                mix(0x1f)
            } else {
                mix(0x00)
                mix(0x1e)
            }
        }
        add(p.givenName)
        add(p.familyName)
        add(p.birthDate?.description)
        add(p.sex?.rawValue)
        add(p.street)
        add(p.city)
        add(p.state)
        add(p.postalCode)
        add(p.phone)
        add(p.ssn)
        let digits = Array("0123456789abcdef".utf8)
        var out = Array(hashVersion.utf8)
        for h in [h1, h2] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((h >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

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
                    patient_id text NOT NULL, given_name text, family_name text, birth_date date, sex text,
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
                try Self.write(change.patient, to: &writer)
                try writer.append(change.retire ? "t" : "f")
                try writer.endRow()
            }
        }
    }

    /// True when `lastmile.patient` holds no row and COPY may write it (row-level security does not apply to
    /// the current role): a first load then goes straight into the table, with nothing to compare.
    /// - Important: call it inside the transaction that loads, after taking the reference lock.
    package func canCopyDirectly() throws -> Bool {
        try connection.canCopyStraightIn("lastmile.patient")
    }

    /// COPYs the patients `next` hands out straight into the empty `lastmile.patient` (see `canCopyDirectly`);
    /// a patient marked `retire` (a delta's) is skipped, as there is no one to retire. Returns the rows inserted.
    package func copyIntoEmptyTable(_ next: () throws -> (patient: StagedPatient, retire: Bool)?) throws -> Int {
        try connection.withCopy(
            """
            COPY lastmile.patient (patient_id, given_name, family_name, birth_date, sex, street, city, state,
                postal_code, phone, ssn, demographics_hash) FROM STDIN
            """
        ) { writer in
            while let change = try next() {
                guard !change.retire else { continue }
                try Self.write(change.patient, to: &writer)
                try writer.endRow()
            }
        }
    }

    /// Appends the patient's columns, from `patient_id` to `demographics_hash`, without ending the row.
    private static func write(_ staged: StagedPatient, to writer: inout CopyWriter) throws {
        let p = staged.person
        try writer.append(staged.patientId)
        try writer.append(p.givenName)
        try writer.append(p.familyName)
        try writer.append(p.birthDate)
        try writer.append(p.sex?.rawValue)
        try writer.append(p.street)
        try writer.append(p.city)
        try writer.append(p.state)
        try writer.append(p.postalCode)
        try writer.append(p.phone)
        try writer.append(p.ssn)
        try writer.append(staged.demographicsHash)
    }

    /// Compares the staged snapshot with `lastmile.patient` in one pass and keeps the differences in the
    /// temporary table `mpi_change` (`kind`: `i` new, `r` retired and back, `u` changed demographics, `t` to
    /// retire), with the staged row; unchanged patients are not kept. Call it once the stage is complete.
    ///
    /// A snapshot (`delta` false) retires every active patient it does not hold; a delta only those it marks so.
    package func diffStage(delta: Bool = false) throws {
        let retiring = delta ? "s.retire AND p.active" : "s.patient_id IS NULL AND p.active"
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.mpi_change;
                CREATE TEMP TABLE mpi_change ON COMMIT DROP AS
                SELECT coalesce(s.patient_id, p.patient_id) AS patient_id,
                       CASE WHEN \(retiring) THEN 't' WHEN p.patient_id IS NULL THEN 'i' WHEN NOT p.active THEN 'r'
                            ELSE 'u' END AS kind,
                       s.given_name, s.family_name, s.birth_date, s.sex, s.street, s.city, s.state, s.postal_code,
                       s.phone, s.ssn, s.demographics_hash
                FROM mpi_stage s
                FULL JOIN lastmile.patient p ON p.patient_id = s.patient_id
                WHERE (\(retiring))
                   OR (s.patient_id IS NOT NULL AND NOT s.retire
                       AND (p.patient_id IS NULL OR NOT p.active
                            OR (p.demographics_hash <> s.demographics_hash
                                AND (p.demographics_hash LIKE '\(Self.hashVersion)%' OR \(Self.columnsDiffer)))));
                ANALYZE mpi_change;
                """)
    }

    /// A stored row whose hash predates `hashVersion` is compared column by column: it is rewritten (with
    /// today's hash) only when a value changed, not once for the new hash.
    private static let columnsDiffer = """
        (p.given_name, p.family_name, p.birth_date, p.sex, p.street, p.city, p.state, p.postal_code, p.phone, p.ssn)
            IS DISTINCT FROM (s.given_name, s.family_name, s.birth_date, s.sex, s.street, s.city, s.state,
                              s.postal_code, s.phone, s.ssn)
        """

    /// How many active patients the staged snapshot would retire, of how many active ones (after `diffStage`).
    package func retirementPreview() throws -> (retiring: Int, active: Int) {
        let row = try connection.execute(
            """
            SELECT (SELECT count(*) FROM mpi_change WHERE kind = 't') AS retiring,
                   (SELECT count(*) FROM lastmile.patient WHERE active) AS active
            """
        ).rows.first
        return (row?.int("retiring") ?? 0, row?.int("active") ?? 0)
    }

    /// Applies the differences `diffStage` found and drops the temporary tables. A patient merged into another
    /// (`lastmile.patient_merge`) stays retired until unmerged, whatever the EMPI still sends of it.
    /// Retirements are stamped `retiredAt` (the caller's clock); without one, the server's time.
    package func applyStage(retiredAt: Date? = nil) throws -> PatientSnapshotChanges {
        let assign = """
            given_name = c.given_name, family_name = c.family_name, birth_date = c.birth_date, sex = c.sex,
            street = c.street, city = c.city, state = c.state, postal_code = c.postal_code, phone = c.phone,
            ssn = c.ssn, demographics_hash = c.demographics_hash, active = true, retired_at = NULL,
            updated_at = now()
            """
        var changes = PatientSnapshotChanges()
        changes.reactivated = try affected(
            """
            UPDATE lastmile.patient p SET \(assign) FROM mpi_change c
            WHERE p.patient_id = c.patient_id AND c.kind = 'r' AND NOT EXISTS (
                SELECT 1 FROM lastmile.patient_merge m WHERE m.merged_patient_id = p.patient_id AND m.unmerged_at IS NULL)
            """)
        changes.updated = try affected(
            """
            UPDATE lastmile.patient p SET \(assign) FROM mpi_change c
            WHERE p.patient_id = c.patient_id AND c.kind = 'u'
            """)
        changes.inserted = try affected(
            """
            INSERT INTO lastmile.patient (patient_id, given_name, family_name, birth_date, sex, street, city, state,
                postal_code, phone, ssn, demographics_hash)
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone,
                ssn, demographics_hash
            FROM mpi_change WHERE kind = 'i'
            """)
        let stamp = "coalesce($1::timestamptz, now())"
        changes.retired =
            try connection.execute(
                """
                UPDATE lastmile.patient p SET active = false, retired_at = \(stamp), updated_at = \(stamp)
                FROM mpi_change c WHERE p.patient_id = c.patient_id AND c.kind = 't'
                """, [retiredAt.map(Clock.sqlTimestamp)]
            ).affectedRows ?? 0
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.mpi_change; DROP TABLE pg_temp.mpi_stage")
        return changes
    }

    private func affected(_ sql: String) throws -> Int {
        try connection.execute(sql).affectedRows ?? 0
    }
}
