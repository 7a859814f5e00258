import Consent
import Foundation
import LastMileCore
import Warehouse

/// The consent registry in the warehouse (`lastmile.consent_directive`): each directive's provision tree is
/// stored as the JSON of `ConsentDirective`, beside the columns that are queried.
public struct ConsentStore {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Inserts or replaces directives by id (a re-import of the same export changes nothing). A directive id
    /// given twice keeps its last directive, as one statement per directive in file order would.
    /// - Returns: how many rows were inserted or changed.
    @discardableResult
    public func save(_ directives: [ConsentDirective], format: String) throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lastIndex: [String: Int] = [:]
        for (i, directive) in directives.enumerated() { lastIndex[directive.id] = i }
        let kept = directives.indices.filter { lastIndex[directives[$0].id] == $0 }.map { directives[$0] }
        var changed = 0
        var start = 0
        while start < kept.count {
            let batch = kept[start..<min(start + Self.batchSize, kept.count)]
            changed += try saveBatch(batch, format: format, encoder: encoder)
            start += Self.batchSize
        }
        return changed
    }

    /// Directives upserted per statement: one round trip for a batch, not one per directive.
    package static let batchSize = 5_000

    private func saveBatch(
        _ batch: ArraySlice<ConsentDirective>, format: String, encoder: JSONEncoder
    ) throws -> Int {
        let json = try batch.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let result = try connection.execute(
            """
            INSERT INTO lastmile.consent_directive
                (directive_id, patient_id, status, recorded_at, grantor_role, source_format, directive)
            SELECT d.id, d.patient, d.status, d.recorded::date, d.grantor, $6, d.directive::jsonb
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::text[])
                AS d (id, patient, status, recorded, grantor, directive)
            -- A directive stored exactly so is left out before the upsert, which would lock it (and log that).
            WHERE NOT EXISTS (
                SELECT 1 FROM lastmile.consent_directive c
                WHERE c.directive_id = d.id AND c.patient_id = d.patient AND c.status = d.status
                  AND c.directive = d.directive::jsonb)
            ON CONFLICT (directive_id) DO UPDATE SET
                patient_id = EXCLUDED.patient_id, status = EXCLUDED.status, recorded_at = EXCLUDED.recorded_at,
                grantor_role = EXCLUDED.grantor_role, source_format = EXCLUDED.source_format,
                directive = EXCLUDED.directive, imported_at = now()
            WHERE (consent_directive.patient_id, consent_directive.status, consent_directive.directive)
                IS DISTINCT FROM (EXCLUDED.patient_id, EXCLUDED.status, EXCLUDED.directive)
            """,
            [
                Self.textArray(batch.map(\.id)), Self.textArray(batch.map(\.patientId)),
                Self.textArray(batch.map(\.status.rawValue)), Self.textArray(batch.map { "\($0.recorded)" }),
                Self.textArray(batch.map(\.grantorRole.rawValue)), format, Self.textArray(json),
            ])
        return result.affectedRows ?? 0
    }

    /// How many of these patient ids (one per directive) name a patient merged into another now: their
    /// directives hold for the survivor (`directives(forPatients:)`), and an unmerge gives them back.
    public func mergedCount(_ patientIds: [String]) throws -> Int {
        guard !patientIds.isEmpty else { return 0 }
        return Int(
            try connection.execute(
                """
                SELECT count(*) FROM unnest($1::text[]) AS id WHERE EXISTS (
                    SELECT 1 FROM lastmile.patient_merge m WHERE m.merged_patient_id = id AND m.unmerged_at IS NULL)
                """, [Self.textArray(patientIds)]
            ).scalar ?? "0") ?? 0
    }

    /// Every stored directive of the given patients (all patients when nil), grouped by patient id.
    public func directives(forPatients patientIds: [String]? = nil) throws -> [String: [ConsentDirective]] {
        let rows: [QueryResult.Row]
        if let patientIds {
            // A patient merged into one of them (migration 11) brings its directives: they hold for the survivor.
            rows = try connection.execute(
                """
                WITH RECURSIVE \(PatientMerges.familyCTE(parameter: "$1"))
                SELECT c.directive, f.survivor FROM merged_family f
                JOIN lastmile.consent_directive c ON c.patient_id = f.patient_id
                """,
                [Self.textArray(patientIds)]
            ).rows
        } else {
            rows = try connection.execute("SELECT directive FROM lastmile.consent_directive").rows
        }
        let decoder = JSONDecoder()
        var byPatient: [String: [ConsentDirective]] = [:]
        for row in rows {
            guard let json = row["directive"] else { continue }
            var directive = try decoder.decode(ConsentDirective.self, from: Data(json.utf8))
            if let survivor = row["survivor"] { directive.patientId = survivor }
            byPatient[directive.patientId, default: []].append(directive)
        }
        return byPatient
    }

    /// What the consent explainer needs of a patient in the MPI snapshot: the birth date (age decides minors'
    /// rules) and whether the patient is active; nil when the patient is not in the snapshot.
    package func subject(patientId: String) throws -> (birthDate: CivilDate?, active: Bool)? {
        try connection.execute("SELECT birth_date, active FROM lastmile.patient WHERE patient_id = $1", [patientId])
            .rows.first.map { (birthDate: $0.date("birth_date"), active: $0.bool("active") != false) }
    }

    /// A PostgreSQL text-array literal for binding as one parameter (`$1::text[]`); every element is quoted.
    package static func textArray(_ values: [String]) -> String {
        // Byte by byte: Foundation's replacingOccurrences cost a third of saving 7,700 consent directives.
        let quote = UInt8(ascii: "\"")
        let backslash = UInt8(ascii: "\\")
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(quote)
            for byte in value.utf8 {
                if byte == quote || byte == backslash { out.append(backslash) }
                out.append(byte)
            }
            out.append(quote)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
