import Extractors
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

/// One merge or unmerge an EMPI sent, with the line it was on.
public struct PatientMergeInstruction: Sendable, Hashable {
    public var line: Int
    /// The patient merged away (B).
    public var mergedId: String
    /// The surviving patient (A); nil for an unmerge.
    public var survivingId: String?

    public init(line: Int, mergedId: String, survivingId: String?) {
        self.line = line
        self.mergedId = mergedId
        self.survivingId = survivingId
    }
}

/// What a merge file did: merges and unmerges applied, instructions that changed nothing, rows refused.
public struct PatientMergeSummary: Sendable, Hashable {
    public var file: String
    public var rowsRead = 0
    public var merged = 0
    public var unmerged = 0
    public var unchanged = 0
    /// Rows refused: where and why, never their values.
    public var rejections: [RowRejection] = []
    /// The patients whose rows moved (survivors and merged patients): their flags are to be derived again.
    public var touchedPatients: Set<String> = []

    public init(file: String) { self.file = file }

    /// The counts as `name value` pairs, in the order the CLI prints them.
    public var counts: [(name: String, value: Int)] {
        [
            ("read", rowsRead), ("merged", merged), ("unmerged", unmerged), ("unchanged", unchanged),
            ("rejected", rejections.count),
        ]
    }
}

/// Applies patient merges and unmerges from the EMPI (an ADT A40 merge, a FHIR Patient `replaced-by` link).
///
/// Two formats, by file extension:
/// - `.csv`: columns `merged_id,surviving_id` and optionally `action` (`merge`, the default, or `unmerge`;
///   an unmerge needs only `merged_id`).
/// - `.ndjson` / `.jsonl`: FHIR Patient resources, one a line. A Patient with a `link` of type `replaced-by`
///   (`other.reference` `Patient/<id>`) was merged into that patient; a Patient without one, not marked
///   `active: false`, whose id is merged now was unmerged by the EMPI. Other resources are ignored.
///
/// Instructions apply in file order (`PatientMerges`): B's crosswalk entries, events and attribution follow A,
/// B is retired; an unmerge returns what came from B. Applying a file twice changes nothing the second time.
/// A row naming an unknown patient, a patient merged elsewhere, or a cycle is refused by line, the others go on.
public enum PatientMergeImport {
    /// Applies `file` in a transaction of its own.
    @discardableResult
    public static func run(file: String, at: Date, connection: Connection, logger: Logger) throws
        -> PatientMergeSummary
    {
        try connection.withTransaction { try apply(file: file, at: at, connection: connection, logger: logger) }
    }

    /// Applies `file` inside the caller's open transaction.
    @discardableResult
    public static func apply(file: String, at: Date, connection: Connection, logger: Logger) throws
        -> PatientMergeSummary
    {
        let name = URL(fileURLWithPath: file).lastPathComponent
        let (instructions, rejections, rowsRead) = try parse(file: file, name: name)
        var summary = PatientMergeSummary(file: name)
        summary.rowsRead = rowsRead
        summary.rejections = rejections
        let merges = PatientMerges(connection: connection)
        for instruction in instructions {
            let outcome =
                try instruction.survivingId.map { try merges.merge(instruction.mergedId, into: $0, at: at) }
                ?? merges.unmerge(instruction.mergedId, at: at)
            switch outcome {
            case .merged(let touched):
                summary.merged += 1
                summary.touchedPatients.formUnion(touched)
            case .unmerged(let touched):
                summary.unmerged += 1
                summary.touchedPatients.formUnion(touched)
            case .unchanged: summary.unchanged += 1
            case .refused(let problem):
                summary.rejections.append(
                    RowRejection(file: name, line: instruction.line, reason: .invalid(expected: problem)))
            }
        }
        summary.rejections.sort { $0.line < $1.line }
        if summary.merged + summary.unmerged > 0 {
            // The patients changed since the last snapshot applied: the next one must be applied in full.
            try ReferenceFiles(connection: connection).forget(kind: ReferenceFiles.mpiSnapshot)
        }
        logger.info(
            "patient merges applied",
            metadata: [
                "file": "\(name)", "rows.read": .number(summary.rowsRead), "merged": .number(summary.merged),
                "unmerged": .number(summary.unmerged), "unchanged": .number(summary.unchanged),
                "rejected": .number(summary.rejections.count),
            ])
        return summary
    }

    /// The file's instructions in order, the rows refused, and how many rows (or lines) were read.
    static func parse(file: String, name: String) throws
        -> ([PatientMergeInstruction], [RowRejection], Int)
    {
        switch URL(fileURLWithPath: file).pathExtension.lowercased() {
        case "csv": return try parseCSV(file: file, name: name)
        case "ndjson", "jsonl":
            return try parseFHIR(file: file, name: name)
        default:
            throw ReferenceDataError(file: name, problem: "expected a .csv, .ndjson or .jsonl merge file")
        }
    }

    static func parseCSV(file: String, name: String) throws -> ([PatientMergeInstruction], [RowRejection], Int) {
        let reader = try CSVReader(path: file, displayName: name)
        guard let mergedColumn = reader.columnIndex(named: "merged_id"),
            let survivingColumn = reader.columnIndex(named: "surviving_id")
        else {
            throw ReferenceDataError(file: name, problem: "expected the columns merged_id and surviving_id")
        }
        let actionColumn = reader.columnIndex(named: "action")
        var instructions: [PatientMergeInstruction] = []
        var rejections: [RowRejection] = []
        var read = 0
        while let row = try reader.nextRow() {
            read += 1
            func reject(_ column: String, _ reason: RowRejection.Reason) {
                rejections.append(RowRejection(file: name, line: row.line, column: column, reason: reason))
            }
            if row.problem != nil {
                rejections.append(RowRejection(file: name, line: row.line, reason: .invalid(expected: "a CSV row")))
                continue
            }
            let action = actionColumn.flatMap { row.string($0)?.lowercased() } ?? "merge"
            guard action == "merge" || action == "unmerge" else {
                reject("action", .unknownCode(allowed: ["merge", "unmerge", "(empty)"]))
                continue
            }
            guard let merged = row.string(mergedColumn) else {
                reject("merged_id", .missingRequired)
                continue
            }
            let surviving = row.string(survivingColumn)
            if action == "merge", surviving == nil {
                reject("surviving_id", .missingRequired)
                continue
            }
            instructions.append(
                PatientMergeInstruction(
                    line: row.line, mergedId: merged, survivingId: action == "merge" ? surviving : nil))
        }
        return (instructions, rejections, read)
    }

    /// Reads FHIR Patient NDJSON. A Patient without a `replaced-by` link, not `active: false`, is an unmerge
    /// instruction, which changes nothing unless its id is merged when it is applied.
    static func parseFHIR(file: String, name: String) throws
        -> ([PatientMergeInstruction], [RowRejection], Int)
    {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ReferenceDataError(file: name, problem: "cannot read the file")
        }
        var instructions: [PatientMergeInstruction] = []
        var rejections: [RowRejection] = []
        var read = 0
        for (offset, text) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !text.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) {
            read += 1
            let line = offset + 1
            guard let resource = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                rejections.append(RowRejection(file: name, line: line, reason: .invalid(expected: "a JSON object")))
                continue
            }
            guard resource["resourceType"] as? String == "Patient" else { continue }
            guard let id = resource["id"] as? String, !id.isEmpty else {
                rejections.append(RowRejection(file: name, line: line, column: "id", reason: .missingRequired))
                continue
            }
            let links = (resource["link"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "replaced-by" }
            if let link = links.first {
                let reference = (link["other"] as? [String: Any])?["reference"] as? String
                guard let reference, reference.hasPrefix("Patient/"), reference.count > "Patient/".count,
                    links.count == 1
                else {
                    rejections.append(
                        RowRejection(
                            file: name, line: line, column: "link",
                            reason: .invalid(expected: "one replaced-by link to Patient/<id>")))
                    continue
                }
                instructions.append(
                    PatientMergeInstruction(
                        line: line, mergedId: id, survivingId: String(reference.dropFirst("Patient/".count))))
            } else if resource["active"] as? Bool != false {
                instructions.append(PatientMergeInstruction(line: line, mergedId: id, survivingId: nil))
            }
        }
        return (instructions, rejections, read)
    }
}
