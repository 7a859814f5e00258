import Extractors
import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

/// What one MPI snapshot load did to `lastmile.patient` (`inserted`, `updated`, `unchanged` count patients).
public struct PatientImportSummary: Sendable, Hashable, ReferenceLoadSummary {
    public var load: ReferenceLoadCounts
    /// Patients absent from this snapshot, now inactive (never deleted).
    public var retired = 0
    /// Retired patients back in this snapshot, active again (their demographics refreshed).
    public var reactivated = 0
    /// How the file reached `lastmile.patient`.
    public var path = PatientLoadPath.diff

    public init(file: String) { load = ReferenceLoadCounts(file: file) }

    /// The counts as `name value` pairs, in the order the CLI prints them.
    public var counts: [(name: String, value: Int)] {
        [
            ("read", load.rowsRead), ("inserted", load.inserted), ("updated", load.updated),
            ("unchanged", load.unchanged),
            ("retired", retired), ("reactivated", reactivated), ("rejected", load.rejected),
        ]
    }
}

/// How an MPI file reached `lastmile.patient`: COPYed straight into the empty table (a first load), or staged
/// and compared with the stored patients, only the differences written.
public enum PatientLoadPath: String, Sendable, Hashable {
    case copy, diff
}

/// Loads or refreshes the MPI snapshot (the HIE's patient extract) into `lastmile.patient`.
///
/// The file is the canonical person CSV (`CanonicalPersonReader`) whose `id` is the HIE patient id. A first load
/// (the table is empty) is COPYed straight into it. Otherwise rows are streamed by COPY into a temporary staging
/// table, compared with the stored patients in one pass, and only the differences applied (the snapshot is never
/// held in memory, only its ids, to refuse a repeated one): new patients inserted; active patients updated only
/// when `demographics_hash` (`PatientStore.demographicsHash(of:)`, over the values stored) changed; patients
/// absent from the snapshot retired (`active = false`, `retired_at`), never deleted; a retired patient who
/// returns is re-activated. Loading the same snapshot twice changes nothing the second time.
///
/// A bad row (unparseable date, unknown sex code, empty or repeated id, ragged row) is quarantined and
/// counted by file and line. A file that is unusable as a whole (missing, not text, a column missing, or
/// without a single usable row — which would retire every patient) throws with exit status 65 and changes
/// nothing. `maxRetiredPercent` guards against a truncated extract: when the snapshot would retire more than
/// that share of the active patients, the load throws (65) instead.
///
/// A delta (`delta: true`, as an EMPI sends between snapshots) is the same CSV with a further column `change`:
/// `added` or `updated` (the patient is inserted, updated or re-activated as from a snapshot) or `retired` (the
/// patient is retired; its other fields may be empty). A delta retires no one it does not name, so the
/// `maxRetiredPercent` guard and the refusal of a file without usable rows apply to snapshots only.
public enum PatientImport {
    /// The values of a delta's `change` column.
    public static let deltaChanges = ["added", "updated", "retired"]

    /// Loads `file` in a transaction of its own: everything or nothing.
    @discardableResult
    public static func run(
        file: String, delta: Bool = false, maxRetiredPercent: Double? = nil, appliedAt: Date? = nil,
        connection: Connection, logger: Logger
    ) throws -> PatientImportSummary {
        try connection.withTransaction {
            try load(
                file: file, delta: delta, maxRetiredPercent: maxRetiredPercent, appliedAt: appliedAt,
                connection: connection, logger: logger)
        }
    }

    /// Loads `file` inside the caller's open transaction (the nightly run's); the caller commits or rolls back.
    ///
    /// Into an empty `lastmile.patient` the rows are COPYed straight in; otherwise they are staged and compared
    /// (`alwaysDiff` forces that path, to compare the two). A snapshot loaded with `appliedAt` is recorded
    /// (`ReferenceFiles`) by its sha256, so that a nightly run can skip the same snapshot next time; without it,
    /// or for a delta, the record is forgotten instead. `appliedAt` (the caller's clock) also stamps the patients
    /// retired.
    @discardableResult
    public static func load(
        file: String, delta: Bool = false, maxRetiredPercent: Double? = nil, appliedAt: Date? = nil,
        alwaysDiff: Bool = false, connection: Connection, logger: Logger
    ) throws -> PatientImportSummary {
        try load(
            file: file, delta: delta, maxRetiredPercent: maxRetiredPercent, appliedAt: appliedAt,
            alwaysDiff: alwaysDiff, indexing: nil, connection: connection, logger: logger)
    }

    /// `load`, handing the rows of a first load (the COPY straight in) to `indexing` as they are written; the
    /// caller then has it read their hashes (`MPIIndexFromFirstLoad.readRowHashes`) in the same transaction.
    @discardableResult
    static func load(
        file: String, delta: Bool = false, maxRetiredPercent: Double? = nil, appliedAt: Date? = nil,
        alwaysDiff: Bool = false, indexing: MPIIndexFromFirstLoad?, connection: Connection, logger: Logger
    ) throws -> PatientImportSummary {
        let started = ContinuousClock.now
        let reader = try CanonicalPersonReader(path: file, extraColumns: delta ? ["change"] : [])
        var summary = PatientImportSummary(file: reader.csv.file)

        let store = PatientStore(connection: connection)
        var seen = Set<String>()
        let next = { () throws -> (patient: StagedPatient, retire: Bool)? in
            while let result = try reader.next() {
                summary.rowsRead += 1
                switch result {
                case .failure(let rejection):
                    summary.load.rejections.append(rejection)
                case .success(let row):
                    guard seen.insert(row.id).inserted else {
                        summary.load.rejections.append(
                            RowRejection(
                                file: summary.file, line: row.line, column: "id",
                                reason: .invalid(expected: "a patient id not already on an earlier line")))
                        continue
                    }
                    let change = row.extras["change"]
                    if delta, !(change.map(deltaChanges.contains) ?? false) {
                        seen.remove(row.id)
                        summary.load.rejections.append(
                            RowRejection(
                                file: summary.file, line: row.line, column: "change",
                                reason: .unknownCode(allowed: deltaChanges)))
                        continue
                    }
                    return ((row.id, row.person, PatientStore.demographicsHash(of: row.person)), change == "retired")
                }
            }
            return nil
        }
        let changes: PatientSnapshotChanges
        if try !alwaysDiff && store.canCopyDirectly() {
            // A first load: nothing to compare or retire, so the rows go straight into the table.
            summary.path = .copy
            let inserted = try store.copyIntoEmptyTable {
                let change = try next()
                if let indexing, let change, !change.retire { indexing.add(change.patient) }
                return change
            }
            try refuseWithoutUsableRows(delta: delta, seen: seen, summary: summary)
            changes = PatientSnapshotChanges(inserted: inserted)
        } else {
            summary.path = .diff
            try store.stageChanges(next)
            try refuseWithoutUsableRows(delta: delta, seen: seen, summary: summary)
            try store.diffStage(delta: delta)
            if let maxRetiredPercent, !delta {
                try refuseTooManyRetirements(store.retirementPreview(), limit: maxRetiredPercent, file: summary.file)
            }
            changes = try store.applyStage(retiredAt: appliedAt)
        }
        summary.reactivated = changes.reactivated
        summary.updated = changes.updated
        summary.inserted = changes.inserted
        summary.retired = changes.retired
        // A delta's retirement of a patient already retired (or unknown) changes nothing.
        summary.unchanged =
            seen.count - summary.inserted - summary.updated - summary.reactivated - (delta ? summary.retired : 0)
        let applied = ReferenceFiles(connection: connection)
        if let appliedAt, !delta {
            try applied.record(
                kind: ReferenceFiles.mpiSnapshot, sha256: try InputFiles.sha256(file).hex, fileName: summary.file,
                at: appliedAt)
        } else {
            // The patient table no longer equals the last snapshot recorded: the next one must not be skipped.
            try applied.forget(kind: ReferenceFiles.mpiSnapshot)
        }

        logger.info(
            "mpi snapshot loaded",
            metadata: [
                "file": "\(summary.file)", "delta": .stringConvertible(delta), "rows.read": .number(summary.rowsRead),
                "inserted": .number(summary.inserted), "updated": .number(summary.updated),
                "unchanged": .number(summary.unchanged), "path": "\(summary.path.rawValue)",
                "retired": .number(summary.retired),
                "reactivated": .number(summary.reactivated), "rejected": .number(summary.rejected),
                "seconds": .seconds((ContinuousClock.now - started).seconds),
            ])
        return summary
    }

    /// A snapshot without one usable row would retire every patient: refused (65), nothing changes.
    private static func refuseWithoutUsableRows(delta: Bool, seen: Set<String>, summary: PatientImportSummary) throws {
        guard delta || !seen.isEmpty else {
            throw ReferenceDataError(
                file: summary.file,
                problem: "no usable patient rows (\(summary.rejected) rejected); refusing to retire every patient")
        }
    }

    /// A snapshot that would retire more than `limit` % of the active patients is refused (65).
    private static func refuseTooManyRetirements(
        _ preview: (retiring: Int, active: Int), limit: Double, file: String
    ) throws {
        let (retiring, active) = preview
        guard active > 0, Double(retiring) * 100 > limit * Double(active) else { return }
        throw ReferenceDataError(
            file: file,
            problem:
                "would retire \(retiring) of \(active) active patients, over the limit of "
                + "\(limit.formatted) %; check that the extract is complete, or raise the limit")
    }
}

extension Double {
    /// `25` for 25.0, `2.5` for 2.5.
    fileprivate var formatted: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
