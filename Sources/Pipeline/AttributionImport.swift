import Extractors
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

/// What one attribution load did to `lastmile.practice` and `lastmile.attribution` (`inserted`, `updated`,
/// `unchanged` count patient–practice pairs; the rejections are of either file).
public struct AttributionImportSummary: Sendable, Hashable, ReferenceLoadSummary {
    public var load: ReferenceLoadCounts
    /// Data rows read from the practices file (0 without one).
    public var practiceRowsRead = 0
    /// Practices new to the warehouse.
    public var practicesInserted = 0
    /// Practices whose name changed.
    public var practicesUpdated = 0
    /// Practices already stored with the same name.
    public var practicesUnchanged = 0
    /// Pairs dropped: a practice in the file no longer lists the patient, or the patient is now elsewhere.
    public var removed = 0
    /// Rows naming a patient merged into another, applied to the survivor.
    public var redirected = 0

    public init(file: String) { load = ReferenceLoadCounts(file: file) }

    /// The counts as `name value` pairs, in the order the CLI prints them.
    public var counts: [(name: String, value: Int)] {
        [
            ("practices.read", practiceRowsRead), ("practices.inserted", practicesInserted),
            ("practices.updated", practicesUpdated), ("practices.unchanged", practicesUnchanged),
            ("read", load.rowsRead), ("inserted", load.inserted), ("updated", load.updated),
            ("unchanged", load.unchanged),
            ("removed", removed), ("redirected", redirected), ("rejected", load.rejected),
        ]
    }
}

/// Loads the patient → practice panel (`attribution.csv`) and optionally the practice list (`practices.csv`).
///
/// Practices are upserted by `practice_id` (`practice_name` updates the name). The attribution file is
/// authoritative for every practice and every patient it names: pairs of those practices or those patients
/// that are not in the file are removed, so a patient moved to another practice leaves the old panel; pairs
/// of other practices and patients are untouched. A row naming a patient the EMPI merged into another is
/// applied to the survivor (counted as redirected). A row naming a patient who is not an active patient of
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
        let columns = try Columns(
            ["patient_id", "practice_id"], optional: ["provider_name", "practice_patient_id"], in: reader)
        var summary = AttributionImportSummary(file: reader.file)
        let store = AttributionStore(connection: connection)
        if let practicesFile {
            try loadPractices(practicesFile, store: store, into: &summary)
        }
        var seen = Set<[String]>()
        try store.stage {
            while let row = try reader.nextRow() {
                summary.rowsRead += 1
                guard let fields = columns.required(row, reader: reader, rejections: &summary.load.rejections) else {
                    continue
                }
                guard seen.insert(fields).inserted else {
                    summary.load.rejections.append(
                        RowRejection(
                            file: reader.file, line: row.line,
                            reason: .invalid(expected: "a patient and practice pair not already on an earlier line")))
                    continue
                }
                return (
                    line: row.line, patientId: fields[0], practiceId: fields[1],
                    providerName: columns.optional(0, of: row), practicePatientId: columns.optional(1, of: row)
                )
            }
            return nil
        }

        // A patient the EMPI merged since is the survivor now (mpi merge): the row is the survivor's.
        let merged = try store.redirectMergedPatients()
        summary.redirected = merged.redirected.filter { !merged.repeated.contains($0) }.count
        for line in merged.repeated {
            summary.load.rejections.append(
                RowRejection(
                    file: reader.file, line: line, column: columns.requiredNames[0],
                    reason: .invalid(
                        expected: "a patient and practice pair not already on an earlier line (after merges)")))
        }
        // References: the patient must be active in the MPI snapshot, the practice known.
        for line in try store.unstageUnknownPatients() {
            summary.load.rejections.append(
                RowRejection(
                    file: reader.file, line: line, column: columns.requiredNames[0],
                    reason: .unknownReference(file: "the MPI snapshot (active patients)")))
        }
        for line in try store.unstageUnknownPractices() {
            summary.load.rejections.append(
                RowRejection(
                    file: reader.file, line: line, column: columns.requiredNames[1],
                    reason: .unknownReference(file: "the practice list")))
        }
        summary.load.rejections.sort { $0.file == $1.file ? $0.line < $1.line : $0.file < $1.file }
        let accepted = try store.stagedCount()
        if accepted == 0 && summary.rowsRead > 0 {
            throw ReferenceDataError(
                file: reader.file, problem: "no usable attribution rows (\(summary.rejected) rejected)")
        }
        let changes = try store.applyStage()
        summary.removed = changes.removed
        summary.updated = changes.updated
        summary.inserted = changes.inserted
        summary.unchanged = accepted - summary.inserted - summary.updated

        var metadata: Logger.Metadata = ["file": "\(summary.file)"]
        for (name, value) in summary.counts { metadata[name] = .number(value) }
        logger.info("attribution loaded", metadata: metadata)
        return summary
    }

    /// Upserts `practice_id,practice_name` rows; a name that did not change leaves the row untouched.
    static func loadPractices(
        _ path: String, store: AttributionStore, into summary: inout AttributionImportSummary
    ) throws {
        let reader = try CSVReader(path: path)
        let columns = try Columns(["practice_id", "practice_name"], optional: [], in: reader)
        var seen = Set<String>()
        while let row = try reader.nextRow() {
            summary.practiceRowsRead += 1
            guard let fields = columns.required(row, reader: reader, rejections: &summary.load.rejections) else {
                continue
            }
            guard seen.insert(fields[0]).inserted else {
                summary.load.rejections.append(
                    RowRejection(
                        file: reader.file, line: row.line, column: columns.requiredNames[0],
                        reason: .invalid(expected: "a practice id not already on an earlier line")))
                continue
            }
            switch try store.upsertPractice(id: fields[0], name: fields[1]) {
            case .inserted: summary.practicesInserted += 1
            case .updated: summary.practicesUpdated += 1
            case .unchanged: summary.practicesUnchanged += 1
            }
        }
    }

    /// The column indices of a reference file's required and optional headers.
    struct Columns {
        /// The required headers, as the file spells them.
        let requiredNames: [String]
        private let required: [Int]
        private let optional: [Int?]

        /// Resolves the headers; throws `InputError` (65) naming the required ones missing.
        init(_ requiredNames: [String], optional: [String], in reader: CSVReader) throws(InputError) {
            var indices: [Int] = []
            var missing: [String] = []
            for name in requiredNames {
                if let index = reader.columnIndex(named: name) { indices.append(index) } else { missing.append(name) }
            }
            guard missing.isEmpty else {
                throw InputError(
                    file: reader.file,
                    problem: .missingColumns(
                        missing: missing, present: requiredNames.filter { !missing.contains($0) },
                        firstLine: reader.headerShape))
            }
            self.requiredNames = indices.map { reader.header[$0] }
            self.required = indices
            self.optional = optional.map { reader.columnIndex(named: $0) }
        }

        /// The row's required values in order, or nil after recording why the row is rejected (a problem the
        /// CSV reader found, or an empty required value).
        func required(_ row: CSVRow, reader: CSVReader, rejections: inout [RowRejection]) -> [String]? {
            if let problem = row.problem {
                rejections.append(RowRejection(problem, row: row, file: reader.file, header: reader.header))
                return nil
            }
            var values: [String] = []
            for (index, name) in zip(required, requiredNames) {
                guard let value = row.string(index) else {
                    rejections.append(
                        RowRejection(file: reader.file, line: row.line, column: name, reason: .missingRequired))
                    return nil
                }
                values.append(value)
            }
            return values
        }

        /// The row's value of the `position`th optional column, nil when absent or empty.
        func optional(_ position: Int, of row: CSVRow) -> String? {
            optional[position].flatMap { row.string($0) }
        }
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
