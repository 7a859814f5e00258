import Foundation
import LastMileCore
import Reports
import Warehouse

/// A flag as stored in `lastmile.flag`, with its row id (what a disclosure references).
package struct StoredFlag: Hashable {
    package var flagId: Int64
    package var flag: Flag
    /// When the flag was last written (its run's start), when the query selects `updated_at`.
    package var updatedAt: Date?
    /// Its run's as-of date (the last day of source data), when the query selects `data_through`.
    package var dataThrough: CivilDate?

    package init(flagId: Int64, flag: Flag, updatedAt: Date? = nil, dataThrough: CivilDate? = nil) {
        self.flagId = flagId
        self.flag = flag
        self.updatedAt = updatedAt
        self.dataThrough = dataThrough
    }
}

/// Who a stored flag is about, as the reports need them.
/// - Important: personal data. Never log a field of this type.
package struct StoredPatient: Hashable {
    package var patientId: String
    package var givenName: String?
    package var familyName: String?
    package var birthDate: CivilDate?
    package var sex: Sex?
    package var practicePatientId: String?
}

/// A stored flag row could not be read; names the row id, never its contents.
package struct StoredFlagError: ClassifiedError, CustomStringConvertible {
    package var flagId: String
    package var column: String
    package var exitStatus: ExitStatus { .dataError }
    package var description: String { "lastmile.flag row \(flagId): column \(column) is not what lastmile writes" }
}

package enum WarehouseRows {
    /// The select list `flag(from:)` and `patient(from:)` read, for a query joining `flag f` and `patient p`.
    package static let flagColumns = """
        f.flag_id, f.patient_id, f.kind, f.source, f.tier, f.status, f.period_start, f.period_end,
        f.codes::text AS codes, f.evidence::text AS evidence
        """
    /// `updated_at` (ISO 8601 UTC, seconds) and `data_through` of a flag's last run `r`.
    package static let runColumns = """
        to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at, r.as_of AS data_through
        """
    package static let patientColumns = "p.given_name, p.family_name, p.birth_date, p.sex"

    package static func flag(from row: QueryResult.Row) throws -> StoredFlag {
        let id = row["flag_id"] ?? "?"
        func bad(_ column: String) -> StoredFlagError { StoredFlagError(flagId: id, column: column) }
        guard let flagId = Int64(id) else { throw bad("flag_id") }
        guard let patientId = row["patient_id"] else { throw bad("patient_id") }
        guard let kind = row["kind"].flatMap(FlagKind.init(rawValue:)) else { throw bad("kind") }
        guard let status = row["status"].flatMap(FlagStatus.init(rawValue:)) else { throw bad("status") }
        guard let start = row.date("period_start") else { throw bad("period_start") }
        let codes: [Coding]
        do {
            codes = try JSONDecoder().decode([Coding].self, from: Data((row["codes"] ?? "").utf8))
        } catch {
            throw bad("codes")
        }
        guard let evidenceObject = try? JSONSerialization.jsonObject(with: Data((row["evidence"] ?? "").utf8)),
            let evidenceMap = evidenceObject as? [String: Any]
        else { throw bad("evidence") }
        var evidence: [String: String] = [:]
        for (key, value) in evidenceMap {
            switch value {
            case let s as String: evidence[key] = s
            case let n as NSNumber: evidence[key] = n.stringValue
            default: continue
            }
        }
        let flag = Flag(
            patientId: patientId, kind: kind, tier: row["tier"] ?? "", codes: codes, status: status,
            periodStart: start, periodEnd: row.date("period_end"), evidence: evidence, source: row["source"] ?? "")
        let updatedAt = row["updated_at"].flatMap { ISO8601DateFormatter().date(from: $0) }
        return StoredFlag(flagId: flagId, flag: flag, updatedAt: updatedAt, dataThrough: row.date("data_through"))
    }

    package static func patient(from row: QueryResult.Row) -> StoredPatient {
        let sex: Sex? =
            switch row["sex"]?.lowercased() {
            case "f", "female": .female
            case "m", "male": .male
            case "o", "x", "other": .other
            default: nil
            }
        return StoredPatient(
            patientId: row["patient_id"] ?? "", givenName: row["given_name"], familyName: row["family_name"],
            birthDate: row.date("birth_date"), sex: sex, practicePatientId: row["practice_patient_id"])
    }
}
