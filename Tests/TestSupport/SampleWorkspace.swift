import Foundation
import Warehouse

/// A private copy of the repository's `pipelines/` and `sample-data/` in a temporary folder, so a test can
/// add input files and keep its rejects files to itself.
public final class SampleWorkspace {
    public let directory: TemporaryDirectory
    public var root: URL { directory.url }
    public var nightlyPipeline: String { root.appendingPathComponent("pipelines/nightly.yaml").path }
    public var sampleData: URL { root.appendingPathComponent("sample-data") }

    /// The repository root, found from this file's path (Tests/TestSupport/…).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public init() throws {
        directory = try TemporaryDirectory()
        for folder in ["pipelines", "sample-data"] {
            try FileManager.default.copyItem(
                at: Self.repositoryRoot.appendingPathComponent(folder), to: root.appendingPathComponent(folder))
        }
    }

    /// Replaces `old` with `new` in a workspace file (e.g. to change a pipeline setting).
    public func edit(_ relativePath: String, replacing old: String, with new: String) throws {
        let url = root.appendingPathComponent(relativePath)
        let text = try String(contentsOf: url, encoding: .utf8)
        precondition(text.contains(old), "\(relativePath) does not contain the text to replace")
        try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    /// A digest of every data table of the warehouse, leaving out run ids and surrogate keys (which differ
    /// between two runs that loaded the same data) and the ledger itself.
    public static func dataDigest(_ connection: Connection) throws -> [String: String] {
        let tables: [String: String] = [
            "patient": "patient_id, given_name, family_name, birth_date, sex, demographics_hash, active",
            "attendance_day":
                "source, student_id, attendance_date, patient_id, school_id, grade, status, minutes_absent",
            "shelter_stay": "source, enrollment_id, patient_id, project_type, entry_date, exit_date, move_in_date",
            "bed_night": "source, enrollment_id, night, patient_id",
            "booking": "source, booking_number, patient_id, booked_at, released_at, facility, charge_count",
            "housing_status": "source, record_id, patient_id, record_type, status, status_date",
            "flag": "patient_id, kind, source, tier, status, period_start, period_end, codes, evidence",
            "source_crosswalk": "source, source_person_id, patient_id, demographics_hash",
            "review_queue": "source, source_person_id, candidate_patient_id, runner_up_patient_id, reason",
            "ingested_file": "source, sha256, file_name, bytes, rows_read",
            "rejected_row": "source, file_name, line, column_name, reason",
            "consent_directive": "directive_id, patient_id, status, directive",
            "attribution": "patient_id, practice_id, practice_patient_id",
        ]
        return try digest(connection, tables: tables)
    }

    /// Per table of `lastmile` (absent tables left out): its row count and an md5 of the listed columns of
    /// every row in a stable order, so two warehouses compare table by table.
    public static func digest(_ connection: Connection, tables: [String: String]) throws -> [String: String] {
        var digest: [String: String] = [:]
        for (table, columns) in tables {
            let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", ["lastmile." + table]).scalar
            guard exists == "t" else { continue }
            digest[table] =
                try connection.execute(
                    unsafeSQL: """
                        SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '')
                        FROM (SELECT \(columns) FROM lastmile.\(table)) r
                        """
                ).scalar ?? ""
        }
        return digest
    }
}
