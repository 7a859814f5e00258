import Consent
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

/// The reference-data step of a run: the MPI snapshot, its deltas and merges, practices and attribution, and
/// consent directives the pipeline names, so that tonight's matching and consent see tonight's reference data.
///
/// Call it inside a transaction: it takes `NightlyRun.referenceLockKey` until that transaction ends, so two
/// runs never refresh at once. An MPI snapshot identical (by sha256) to the one applied last is skipped: its
/// load would change nothing.
struct ReferenceRefresh {
    let config: PipelineConfig
    let options: RunOptions
    let logger: Logger
    let connection: Connection
    /// Takes the rows of a first MPI load, to build the night's MPI index from them (nil: not built so).
    var indexing: MPIIndexFromFirstLoad?

    /// Refreshes what the pipeline names; returns the patients whose rows merges and unmerges moved.
    func refresh(into summary: inout RunSummary) throws -> Set<String> {
        let started = ContinuousClock.now
        try connection.advisoryTransactionLock(NightlyRun.referenceLockKey)
        let touched = try refreshPatients(into: &summary)
        if let attribution = config.attributionExtract {
            let s = try AttributionImport.load(
                file: attribution, practicesFile: config.practicesExtract, connection: connection, logger: logger)
            summary.reference["attribution.rows"] = s.rowsRead
            summary.reference["attribution.changed"] = s.inserted + s.updated + s.removed
            summary.reference["attribution.rejected"] = s.rejected
            if s.redirected > 0 { summary.reference["attribution.redirected"] = s.redirected }
        }
        if !config.consentDirectives.isEmpty { try refreshConsent(into: &summary) }
        // Late in the transaction: the index builder had the attribution and consent loads to catch up.
        try indexing?.readRowHashes(connection)
        summary.stageSeconds["reference"] = (ContinuousClock.now - started).seconds
        return touched
    }

    /// The consent files, skipped when they and the registry are both as the last import left them: the import
    /// would store nothing (every directive already stored so), and its parse and compare took about a second a
    /// night. Any change to the registry since, by any import, makes the files load again. A file that cannot be
    /// read fails as the import says (the checksum is not what reports it), and files with problems are not
    /// recorded, so their problems are reported every night until the files are mended.
    private func refreshConsent(into summary: inout RunSummary) throws {
        let inputs = try consentInputs()
        let files = try? inputs.map { try InputFiles.sha256($0.path).hex }.joined(separator: ",")
        let applied = ReferenceFiles(connection: connection)
        if let files, try applied.lastApplied(kind: ReferenceFiles.consentFiles) == files + ";" + registryDigest() {
            summary.reference["consent.skipped"] = 1
            logger.info(
                "consent files and registry unchanged since the files were imported; skipped",
                metadata: ["files": .number(inputs.count)])
            return
        }
        let s = try ConsentImport.store(try ConsentImport.parse(inputs), connection: connection, logger: logger)
        summary.reference["consent.directives"] = s.directivesRead
        summary.reference["consent.changed"] = s.stored
        summary.reference["consent.problems"] = s.problems.count
        if s.redirected > 0 { summary.reference["consent.redirected"] = s.redirected }
        if let files, s.problems.isEmpty {
            try applied.record(
                kind: ReferenceFiles.consentFiles, sha256: files + ";" + registryDigest(),
                fileName: inputs.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ","),
                at: options.clock.now)
        } else {
            try applied.forget(kind: ReferenceFiles.consentFiles)
        }
    }

    /// The consent registry's rows, counted and hashed whole (every column), in one scan of a small table.
    private func registryDigest() throws -> String {
        try connection.execute(
            """
            SELECT count(*) || ':' || coalesce(sum(hashtextextended(c::text, 0)), 0)
            FROM lastmile.consent_directive c
            """
        ).scalar ?? ""
    }

    /// The MPI snapshot (skipped when unchanged), then its deltas, then merges and unmerges, in that order.
    private func refreshPatients(into summary: inout RunSummary) throws -> Set<String> {
        let now = options.clock.now
        if let mpi = config.mpiExtract {
            let (sha256, _) = try InputFiles.sha256(mpi)
            if try ReferenceFiles(connection: connection).lastApplied(kind: ReferenceFiles.mpiSnapshot) == sha256 {
                summary.reference["mpi.skipped"] = 1
                logger.info(
                    "mpi snapshot unchanged since it was applied; skipped",
                    metadata: ["file": "\(URL(fileURLWithPath: mpi).lastPathComponent)"])
            } else {
                let s = try PatientImport.load(
                    file: mpi, appliedAt: now, alwaysDiff: !options.copyIntoEmptyTables, indexing: indexing,
                    connection: connection, logger: logger)
                summary.reference["mpi.rows"] = s.rowsRead
                summary.reference["mpi.inserted"] = s.inserted
                summary.reference["mpi.updated"] = s.updated
                summary.reference["mpi.retired"] = s.retired
                summary.reference["mpi.rejected"] = s.rejected
            }
        }
        for delta in config.mpiDeltas {
            let s = try PatientImport.load(
                file: delta, delta: true, appliedAt: now, connection: connection, logger: logger)
            if s.inserted + s.updated + s.reactivated + s.retired > 0 { indexing?.patientsChanged() }
            summary.reference["mpi.delta.rows", default: 0] += s.rowsRead
            summary.reference["mpi.delta.changed", default: 0] += s.inserted + s.updated + s.reactivated + s.retired
            summary.reference["mpi.delta.rejected", default: 0] += s.rejected
        }
        var touched: Set<String> = []
        for merges in config.mpiMerges {
            let s = try PatientMergeImport.apply(file: merges, at: now, connection: connection, logger: logger)
            summary.reference["mpi.merges.merged", default: 0] += s.merged
            summary.reference["mpi.merges.unmerged", default: 0] += s.unmerged
            summary.reference["mpi.merges.rejected", default: 0] += s.rejections.count
            touched.formUnion(s.touchedPatients)
            if s.merged + s.unmerged > 0 { indexing?.patientsChanged() }
        }
        return touched
    }

    /// The pipeline's consent files with their formats; a file of another kind is a configuration error (78).
    private func consentInputs() throws -> [ConsentImport.Input] {
        try config.consentDirectives.map { path in
            guard let format = ConsentFileFormat(fileExtensionOf: path) else {
                throw PipelineConfigError(problems: [
                    ConfigProblem(
                        file: config.file, keyPath: "reference.consent",
                        message: "\(path): expected a .csv, .json or .ndjson consent file")
                ])
            }
            return ConsentImport.Input(path: path, format: format)
        }
    }
}
