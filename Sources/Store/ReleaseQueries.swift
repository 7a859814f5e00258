import Foundation
import LastMileCore
import Warehouse

/// What a release query returns: flags that may leave the HIE, with the patients they are about, before
/// consent is re-checked for the recipient and purpose.
/// - Important: personal data. Never log a patient of this type.
package struct ReleaseCandidates: Hashable {
    /// The flags, in patient id then row id order.
    package var flags: [StoredFlag]
    /// The patients of `flags`, by patient id.
    package var patients: [String: StoredPatient]

    package init(flags: [StoredFlag] = [], patients: [String: StoredPatient] = [:]) {
        self.flags = flags
        self.patients = patients
    }

    /// The flags grouped by patient, in patient id order (flags in row id order); a flag whose patient is
    /// missing is left out.
    package var byPatient: [(patient: StoredPatient, flags: [StoredFlag])] {
        Dictionary(grouping: flags, by: \.flag.patientId).sorted { $0.key < $1.key }.compactMap { id, flags in
            patients[id].map { (patient: $0, flags: flags.sorted { $0.flagId < $1.flagId }) }
        }
    }

    /// These candidates keeping only `flags` that `isIncluded` accepts, and the patients they still name.
    package func filter(_ isIncluded: (StoredFlag) throws -> Bool) rethrows -> ReleaseCandidates {
        let kept = try flags.filter(isIncluded)
        let ids = Set(kept.map(\.flag.patientId))
        return ReleaseCandidates(flags: kept, patients: patients.filter { ids.contains($0.key) })
    }
}

/// The warehouse reads of the release path: candidate flags and their patients, practices, and what an
/// earlier report disclosed. A new report's query is written here (or composed from these).
package struct ReleaseQueries {
    package let connection: Connection

    package init(connection: Connection) {
        self.connection = connection
    }

    /// Every practice in `lastmile.practice`, by id.
    package func practices() throws -> [(id: String, name: String)] {
        try connection.execute("SELECT practice_id, name FROM lastmile.practice ORDER BY practice_id").rows
            .map { (id: $0["practice_id"] ?? "", name: $0["name"] ?? "") }
    }

    /// The active flags of the practice's attributed, active patients (with their practice patient ids).
    /// - Parameters:
    ///   - kinds: only flags of these kinds; nil for every kind.
    ///   - requiring: only patients who have an active flag of this kind (of any source).
    package func activeFlags(attributedTo practiceId: String, kinds: [FlagKind]? = nil, requiring: FlagKind? = nil)
        throws -> ReleaseCandidates
    {
        try candidates(
            """
            SELECT \(WarehouseRows.flagColumns), \(WarehouseRows.patientColumns), a.practice_patient_id
            FROM lastmile.attribution a
            JOIN lastmile.patient p ON p.patient_id = a.patient_id AND p.active
            JOIN lastmile.flag f ON f.patient_id = a.patient_id AND f.status = 'active'
            WHERE a.practice_id = $1
              AND ($2::text[] IS NULL OR f.kind = ANY($2::text[]))
              AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM lastmile.flag c WHERE c.patient_id = a.patient_id
                                               AND c.kind = $3 AND c.status = 'active'))
            ORDER BY f.patient_id, f.flag_id
            """,
            [practiceId, kinds.map { ConsentStore.textArray($0.map(\.rawValue)) }, requiring?.rawValue])
    }

    /// The flags of active patients changed since `since` (UTC day): last written by a run started on or after
    /// it, or whose period starts or ends on or after it; only patients attributed to `practiceId` when given
    /// (minimum necessary), with the practice's chart number. Each flag carries its run's start and as-of date.
    package func changedFlags(since: CivilDate, attributedTo practiceId: String?) throws -> ReleaseCandidates {
        try candidates(
            """
            SELECT \(WarehouseRows.flagColumns), \(WarehouseRows.patientColumns), \(WarehouseRows.runColumns),
                   a.practice_patient_id
            FROM lastmile.flag f
            JOIN lastmile.patient p ON p.patient_id = f.patient_id AND p.active
            JOIN lastmile.run r ON r.run_id = f.updated_run
            LEFT JOIN lastmile.attribution a ON a.patient_id = f.patient_id AND a.practice_id = $2::text
            WHERE (r.started_at >= ($1::date AT TIME ZONE 'UTC') OR f.period_start >= $1::date
                   OR f.period_end >= $1::date)
              AND ($2::text IS NULL OR a.patient_id IS NOT NULL)
            ORDER BY f.patient_id, f.flag_id
            """, [since, practiceId])
    }

    /// The patients whose `flagKind` flags report `kind` disclosed to the practice for the week of `weekOf`
    /// (its delivered version, or every version written without a delivery command); nil when no such report
    /// was made.
    package func patientsDisclosed(
        byReport kind: String, practiceId: String, weekOf monday: CivilDate, flagKind: FlagKind
    ) throws -> Set<String>? {
        let previous = try connection.execute(
            "SELECT report_id FROM lastmile.report WHERE kind = $1 AND practice_id = $2 AND week_of = $3::date",
            [kind, practiceId, monday]
        ).scalar
        guard let previous, let id = Int(previous) else { return nil }
        let rows = try connection.execute(
            """
            SELECT DISTINCT d.patient_id FROM lastmile.disclosure d
            JOIN lastmile.flag f ON f.flag_id = d.flag_id
            WHERE d.report_id = $1 AND f.kind = $2
            """, [id, flagKind.rawValue]
        ).rows
        return Set(rows.compactMap { $0["patient_id"] })
    }

    /// The newest attendance date stored for each source (`lastmile.attendance_day`), by source name: how
    /// recent the data behind an absenteeism list is. A source with no attendance rows is absent.
    package func newestAttendanceDates() throws -> [String: CivilDate] {
        let rows = try connection.execute(
            "SELECT source, max(attendance_date) AS through FROM lastmile.attendance_day GROUP BY source"
        ).rows
        var dates: [String: CivilDate] = [:]
        for row in rows {
            if let source = row["source"], let through = row.date("through") { dates[source] = through }
        }
        return dates
    }

    /// The whole-day absences (`absent-excused`, `absent-unexcused`, `absent-illness`) stored for the
    /// practice's attributed, active patients from `from` up to the day before `before`, by patient id and source, in date order:
    /// what a list counts its recent absences from.
    package func absences(attributedTo practiceId: String, from: CivilDate, before: CivilDate) throws
        -> [String: [String: [(date: CivilDate, status: AttendanceStatus)]]]
    {
        let rows = try connection.execute(
            """
            SELECT d.patient_id, d.source, d.attendance_date, d.status
            FROM lastmile.attendance_day d
            JOIN lastmile.attribution a ON a.patient_id = d.patient_id AND a.practice_id = $1
            JOIN lastmile.patient p ON p.patient_id = d.patient_id AND p.active
            WHERE d.attendance_date >= $2::date AND d.attendance_date < $3::date
              AND d.status IN ('absent-excused', 'absent-unexcused', 'absent-illness')
            ORDER BY d.patient_id, d.source, d.attendance_date
            """, [practiceId, from, before]
        ).rows
        var result: [String: [String: [(date: CivilDate, status: AttendanceStatus)]]] = [:]
        for row in rows {
            guard let patient = row["patient_id"], let source = row["source"], let date = row.date("attendance_date"),
                let status = row["status"].flatMap(AttendanceStatus.init(rawValue:))
            else { continue }
            result[patient, default: [:]][source, default: []].append((date, status))
        }
        return result
    }

    /// Runs a query selecting `WarehouseRows.flagColumns`, `patientColumns` and `practice_patient_id`.
    private func candidates(_ sql: String, _ parameters: [any SQLParameter]) throws -> ReleaseCandidates {
        var result = ReleaseCandidates()
        for row in try connection.execute(sql, parameters).rows {
            let stored = try WarehouseRows.flag(from: row)
            result.flags.append(stored)
            result.patients[stored.flag.patientId] =
                result.patients[stored.flag.patientId] ?? WarehouseRows.patient(from: row)
        }
        return result
    }
}
