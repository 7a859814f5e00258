import Extractors
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

/// What one attribution load did to `lastmile.practice` and `lastmile.attribution`.
public struct AttributionImportSummary: Sendable, Hashable {
    /// The attribution file, as named in messages.
    public var file: String
    /// Data rows read from the practices file (0 without one).
    public var practiceRowsRead = 0
    /// Practices new to the warehouse.
    public var practicesInserted = 0
    /// Practices whose name changed.
    public var practicesUpdated = 0
    /// Practices already stored with the same name.
    public var practicesUnchanged = 0
    /// Data rows read from the attribution file.
    public var rowsRead = 0
    /// Patient–practice pairs new to the panel.
    public var inserted = 0
    /// Pairs whose provider or practice patient id changed.
    public var updated = 0
    /// Pairs already stored exactly so.
    public var unchanged = 0
    /// Pairs dropped: a practice in the file no longer lists the patient, or the patient is now elsewhere.
    public var removed = 0
    /// Rows of either file quarantined: where and why, never their values.
    public var rejections: [RowRejection] = []

    /// How many rows of either file were quarantined.
    public var rejected: Int { rejections.count }

    public init(file: String) {
        self.file = file
    }

    /// The counts as `name value` pairs, in the order the CLI prints them.
    public var counts: [(name: String, value: Int)] {
        [
            ("practices.read", practiceRowsRead), ("practices.inserted", practicesInserted),
            ("practices.updated", practicesUpdated), ("practices.unchanged", practicesUnchanged),
            ("read", rowsRead), ("inserted", inserted), ("updated", updated), ("unchanged", unchanged),
            ("removed", removed), ("rejected", rejected),
        ]
    }
}

/// Loads the patient → practice panel (`attribution.csv`) and optionally the practice list (`practices.csv`).
///
/// Practices are upserted by `practice_id` (`practice_name` updates the name). The attribution file is
/// authoritative for every practice and every patient it names: pairs of those practices or those patients
/// that are not in the file are removed, so a patient moved to another practice leaves the old panel; pairs
/// of other practices and patients are untouched. A row naming a patient who is not an active patient of
/// the MPI snapshot, or a practice that is neither in the warehouse nor in the practices file, is rejected
/// by line, like a row with an empty id or a repeated pair. A file with rows but none usable throws (65).
public enum AttributionImport {
    /// Loads the files in a transaction of its own: everything or nothing.
    @discardableResult
    public static func run(
        file: String, practicesFile: String? = nil, connection: Connection, logger: Logger
    ) throws -> AttributionImportSummary {
        try connection.withTransaction {
            try load(file: file, practicesFile: practicesFile, connection: connection, logger: logger)
        }
    }

    /// Loads the files inside the caller's open transaction (the nightly run's).
    @discardableResult
    public static func load(
        file: String, practicesFile: String? = nil, connection: Connection, logger: Logger
    ) throws -> AttributionImportSummary {
        let reader = try CSVReader(path: file)
        let columns = try resolve(["patient_id", "practice_id"], optional: ["provider_name", "practice_patient_id"], in: reader)
        var summary = AttributionImportSummary(file: reader.file)
        if let practicesFile {
            try loadPractices(practicesFile, connection: connection, into: &summary)
        }

        try connection.execute(unsafeSQL: """
            DROP TABLE IF EXISTS pg_temp.attribution_stage;
            CREATE TEMP TABLE attribution_stage (
                line integer NOT NULL, patient_id text NOT NULL, practice_id text NOT NULL, provider_name text,
                practice_patient_id text, PRIMARY KEY (patient_id, practice_id)
            ) ON COMMIT DROP;
            """)
        var seen = Set<[String]>()
        try connection.withCopy(
            "COPY attribution_stage (line, patient_id, practice_id, provider_name, practice_patient_id) FROM STDIN"
        ) { writer in
            while let row = try reader.nextRow() {
                summary.rowsRead += 1
                if let problem = row.problem {
                    summary.rejections.append(RowRejection(problem, row: row, file: reader.file, header: reader.header))
                    continue
                }
                guard let patient = row.string(columns[0]!) else {
                    summary.rejections.append(missing(reader, row, columns[0]!))
                    continue
                }
                guard let practice = row.string(columns[1]!) else {
                    summary.rejections.append(missing(reader, row, columns[1]!))
                    continue
                }
                guard seen.insert([patient, practice]).inserted else {
                    summary.rejections.append(
                        RowRejection(
                            file: reader.file, line: row.line,
                            reason: .invalid(expected: "a patient and practice pair not already on an earlier line")))
                    continue
                }
                try writer.append(row.line)
                try writer.append(patient)
                try writer.append(practice)
                try writer.append(columns[2].flatMap { row.string($0) })
                try writer.append(columns[3].flatMap { row.string($0) })
                try writer.endRow()
            }
        }

        // References: the patient must be active in the MPI snapshot, the practice known.
        for line in try lines(
            connection,
            """
            DELETE FROM attribution_stage s
            WHERE NOT EXISTS (SELECT 1 FROM lastmile.patient p WHERE p.patient_id = s.patient_id AND p.active)
            RETURNING line
            """)
        {
            summary.rejections.append(
                RowRejection(
                    file: reader.file, line: line, column: reader.header[columns[0]!],
                    reason: .unknownReference(file: "the MPI snapshot (active patients)")))
        }
        for line in try lines(
            connection,
            """
            DELETE FROM attribution_stage s
            WHERE NOT EXISTS (SELECT 1 FROM lastmile.practice r WHERE r.practice_id = s.practice_id)
            RETURNING line
            """)
        {
            summary.rejections.append(
                RowRejection(
                    file: reader.file, line: line, column: reader.header[columns[1]!],
                    reason: .unknownReference(file: "the practice list")))
        }
        summary.rejections.sort { $0.file == $1.file ? $0.line < $1.line : $0.file < $1.file }
        let accepted = Int(try connection.execute("SELECT count(*) FROM attribution_stage").scalar ?? "0") ?? 0
        if accepted == 0 && summary.rowsRead > 0 {
            throw ReferenceDataError(
                file: reader.file, problem: "no usable attribution rows (\(summary.rejected) rejected)")
        }
        try connection.execute(unsafeSQL: "ANALYZE attribution_stage")

        summary.removed = try connection.execute(
            """
            DELETE FROM lastmile.attribution a
            WHERE (a.practice_id IN (SELECT practice_id FROM attribution_stage)
                   OR a.patient_id IN (SELECT patient_id FROM attribution_stage))
              AND NOT EXISTS (
                  SELECT 1 FROM attribution_stage s WHERE s.patient_id = a.patient_id AND s.practice_id = a.practice_id)
            """
        ).affectedRows ?? 0
        summary.updated = try connection.execute(
            """
            UPDATE lastmile.attribution a
            SET provider_name = s.provider_name, practice_patient_id = s.practice_patient_id, updated_at = now()
            FROM attribution_stage s
            WHERE s.patient_id = a.patient_id AND s.practice_id = a.practice_id
              AND (a.provider_name, a.practice_patient_id) IS DISTINCT FROM (s.provider_name, s.practice_patient_id)
            """
        ).affectedRows ?? 0
        summary.inserted = try connection.execute(
            """
            INSERT INTO lastmile.attribution (patient_id, practice_id, provider_name, practice_patient_id)
            SELECT patient_id, practice_id, provider_name, practice_patient_id FROM attribution_stage s
            WHERE NOT EXISTS (
                SELECT 1 FROM lastmile.attribution a WHERE a.patient_id = s.patient_id AND a.practice_id = s.practice_id)
            """
        ).affectedRows ?? 0
        summary.unchanged = accepted - summary.inserted - summary.updated
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.attribution_stage")

        var metadata: Logger.Metadata = ["file": "\(summary.file)"]
        for (name, value) in summary.counts { metadata[name] = .number(value) }
        logger.info("attribution loaded", metadata: metadata)
        return summary
    }

    /// Upserts `practice_id,practice_name` rows; a name that did not change leaves the row untouched.
    static func loadPractices(
        _ path: String, connection: Connection, into summary: inout AttributionImportSummary
    ) throws {
        let reader = try CSVReader(path: path)
        let columns = try resolve(["practice_id", "practice_name"], optional: [], in: reader)
        var seen = Set<String>()
        while let row = try reader.nextRow() {
            summary.practiceRowsRead += 1
            if let problem = row.problem {
                summary.rejections.append(RowRejection(problem, row: row, file: reader.file, header: reader.header))
                continue
            }
            guard let id = row.string(columns[0]!) else {
                summary.rejections.append(missing(reader, row, columns[0]!))
                continue
            }
            guard let name = row.string(columns[1]!) else {
                summary.rejections.append(missing(reader, row, columns[1]!))
                continue
            }
            guard seen.insert(id).inserted else {
                summary.rejections.append(
                    RowRejection(
                        file: reader.file, line: row.line, column: reader.header[columns[0]!],
                        reason: .invalid(expected: "a practice id not already on an earlier line")))
                continue
            }
            let result = try connection.execute(
                """
                INSERT INTO lastmile.practice (practice_id, name) VALUES ($1, $2)
                ON CONFLICT (practice_id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
                WHERE practice.name IS DISTINCT FROM EXCLUDED.name
                RETURNING (xmax = 0) AS inserted
                """, [id, name])
            if let first = result.rows.first {
                if first.bool("inserted") == true { summary.practicesInserted += 1 } else { summary.practicesUpdated += 1 }
            } else {
                summary.practicesUnchanged += 1
            }
        }
    }

    /// Column indices of `required` then `optional` headers; throws `InputError` (65) naming missing ones.
    static func resolve(_ required: [String], optional: [String], in reader: CSVReader) throws(InputError) -> [Int?] {
        let missingColumns = required.filter { reader.columnIndex(named: $0) == nil }
        guard missingColumns.isEmpty else {
            throw InputError(
                file: reader.file,
                problem: .missingColumns(
                    missing: missingColumns, present: required.filter { reader.columnIndex(named: $0) != nil },
                    firstLine: reader.headerShape))
        }
        return (required + optional).map { reader.columnIndex(named: $0) }
    }

    static func missing(_ reader: CSVReader, _ row: CSVRow, _ column: Int) -> RowRejection {
        RowRejection(file: reader.file, line: row.line, column: reader.header[column], reason: .missingRequired)
    }

    static func lines(_ connection: Connection, _ sql: String) throws -> [Int] {
        try connection.execute(sql).rows.compactMap { $0[0].flatMap { Int($0) } }
    }
}

extension RowRejection {
    /// The rejection for a row the CSV reader found unusable (ragged, not text, unterminated quote).
    init(_ problem: CSVRowProblem, row: CSVRow, file: String, header: [String]) {
        switch problem {
        case .invalidUTF8(let column):
            self.init(
                file: file, line: row.line, column: column < header.count ? header[column] : nil,
                reason: .invalidEncoding)
        case .fieldCount(let expected, let found):
            self.init(file: file, line: row.line, reason: .wrongFieldCount(expected: expected, found: found))
        case .unterminatedQuote:
            self.init(file: file, line: row.line, reason: .unterminatedQuote)
        }
    }
}
