import Foundation
import LastMileCore
import Warehouse

/// One attribution row, ready to stage: its line in the file, the pair and the optional details.
package typealias StagedAttribution = (
    line: Int, patientId: String, practiceId: String, providerName: String?, practicePatientId: String?
)

/// What applying a staged attribution file did to `lastmile.attribution`.
package struct AttributionChanges: Equatable {
    package var removed = 0
    package var updated = 0
    package var inserted = 0
}

/// How one practice upsert ended.
package enum PracticeUpsert: Equatable { case inserted, updated, unchanged }

/// The practice list (`lastmile.practice`) and the patient → practice panel (`lastmile.attribution`), the
/// panel loaded through a temporary staging table (`attribution_stage`) and applied set-based.
package struct AttributionStore {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// Inserts the practice or renames it; a name that did not change leaves the row untouched.
    package func upsertPractice(id: String, name: String) throws -> PracticeUpsert {
        let result = try connection.execute(
            """
            INSERT INTO lastmile.practice (practice_id, name) VALUES ($1, $2)
            ON CONFLICT (practice_id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
            WHERE practice.name IS DISTINCT FROM EXCLUDED.name
            RETURNING (xmax = 0) AS inserted
            """, [id, name])
        guard let first = result.rows.first else { return .unchanged }
        return first.bool("inserted") == true ? .inserted : .updated
    }

    /// Creates the staging table and COPYs the rows `next` hands out (until it returns nil) into it.
    package func stage(_ next: () throws -> StagedAttribution?) throws {
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.attribution_stage;
                CREATE TEMP TABLE attribution_stage (
                    line integer NOT NULL, patient_id text NOT NULL, practice_id text NOT NULL, provider_name text,
                    practice_patient_id text, PRIMARY KEY (patient_id, practice_id)
                ) ON COMMIT DROP;
                """)
        _ = try connection.withCopy(
            "COPY attribution_stage (line, patient_id, practice_id, provider_name, practice_patient_id) FROM STDIN"
        ) { writer in
            while let row = try next() {
                try writer.append(row.line)
                try writer.append(row.patientId)
                try writer.append(row.practiceId)
                try writer.append(row.providerName)
                try writer.append(row.practicePatientId)
                try writer.endRow()
            }
        }
    }

    /// Staged rows naming a patient merged into another (migration 11) name the survivor instead; a row that then
    /// repeats an earlier line's pair is removed. Returns the lines redirected and the lines removed.
    package func redirectMergedPatients() throws -> (redirected: [Int], repeated: [Int]) {
        let redirected = try lines(
            """
            UPDATE attribution_stage s SET patient_id = lastmile.surviving_patient(s.patient_id)
            WHERE EXISTS (
                SELECT 1 FROM lastmile.patient_merge m WHERE m.merged_patient_id = s.patient_id AND m.unmerged_at IS NULL)
            RETURNING line
            """)
        guard !redirected.isEmpty else { return ([], []) }
        let repeated = try lines(
            """
            DELETE FROM attribution_stage s WHERE EXISTS (
                SELECT 1 FROM attribution_stage t
                WHERE t.patient_id = s.patient_id AND t.practice_id = s.practice_id AND t.line < s.line)
            RETURNING line
            """)
        return (redirected.sorted(), repeated.sorted())
    }

    /// Removes staged rows whose patient is not active in the MPI snapshot; returns their lines.
    ///
    /// Each staged row looks its patient up by the primary key (`LATERAL … LIMIT 1`): as `NOT EXISTS`,
    /// PostgreSQL 15 hashed the whole patient table for a panel of tens of thousands of rows (0.8 s at 1M
    /// patients right after a first load, 0.2 s so).
    package func unstageUnknownPatients() throws -> [Int] {
        try lines(
            """
            DELETE FROM attribution_stage s
            WHERE s.ctid IN (
                SELECT t.ctid FROM attribution_stage t
                LEFT JOIN LATERAL (
                    SELECT true AS known FROM lastmile.patient p
                    WHERE p.patient_id = t.patient_id AND p.active LIMIT 1
                ) k ON true
                WHERE k.known IS NULL)
            RETURNING line
            """)
    }

    /// Removes staged rows whose practice is not stored; returns their lines.
    package func unstageUnknownPractices() throws -> [Int] {
        try lines(
            """
            DELETE FROM attribution_stage s
            WHERE NOT EXISTS (SELECT 1 FROM lastmile.practice r WHERE r.practice_id = s.practice_id)
            RETURNING line
            """)
    }

    /// How many rows are staged.
    package func stagedCount() throws -> Int {
        Int(try connection.execute("SELECT count(*) FROM attribution_stage").scalar ?? "0") ?? 0
    }

    /// Applies the staged panel (authoritative for every practice and patient it names) and drops the stage.
    package func applyStage() throws -> AttributionChanges {
        try connection.execute(unsafeSQL: "ANALYZE attribution_stage")
        var changes = AttributionChanges()
        changes.removed = try affected(
            """
            DELETE FROM lastmile.attribution a
            WHERE (a.practice_id IN (SELECT practice_id FROM attribution_stage)
                   OR a.patient_id IN (SELECT patient_id FROM attribution_stage))
              AND NOT EXISTS (
                  SELECT 1 FROM attribution_stage s WHERE s.patient_id = a.patient_id AND s.practice_id = a.practice_id)
            """)
        changes.updated = try affected(
            """
            UPDATE lastmile.attribution a
            SET provider_name = s.provider_name, practice_patient_id = s.practice_patient_id, updated_at = now()
            FROM attribution_stage s
            WHERE s.patient_id = a.patient_id AND s.practice_id = a.practice_id
              AND (a.provider_name, a.practice_patient_id) IS DISTINCT FROM (s.provider_name, s.practice_patient_id)
            """)
        changes.inserted = try affected(
            """
            INSERT INTO lastmile.attribution (patient_id, practice_id, provider_name, practice_patient_id)
            SELECT patient_id, practice_id, provider_name, practice_patient_id FROM attribution_stage s
            WHERE NOT EXISTS (
                SELECT 1 FROM lastmile.attribution a WHERE a.patient_id = s.patient_id AND a.practice_id = s.practice_id)
            """)
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.attribution_stage")
        return changes
    }

    private func lines(_ sql: String) throws -> [Int] {
        try connection.execute(sql).rows.compactMap { $0[0].flatMap { Int($0) } }
    }

    private func affected(_ sql: String) throws -> Int {
        try connection.execute(sql).affectedRows ?? 0
    }
}
