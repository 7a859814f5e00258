import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

extension RunState {
    /// The night's MPI index: the kept one when the MPI and the model are as it last saw them; else the kept one
    /// updated from the patient rows changed since; else (no directory, no usable file, or an update that does
    /// not reproduce the warehouse's digest) one built from every active patient. A built or updated index is
    /// written back for the next night.
    func mpiIndex() throws -> MPIIndex {
        let started = ContinuousClock.now
        let version = MPIIndexVersion(
            model: MPIIndexVersion.modelDigest(
                config.matchModelPath.flatMap { FileManager.default.contents(atPath: $0) }))
        let state = try PatientSnapshot.state(connection)
        guard let directory = options.matchIndexDirectory else {
            return try buildMPIIndex(state)
        }
        let file = MPIIndexFile(directory: directory)
        var reason = ""
        switch file.read(version: version) {
        case .success(let kept):
            if kept.count == state.active && kept.digest == state.digest {
                logIndex("kept", kept, changed: 0, since: started)
                return kept
            }
            if let since = kept.changedUpTo {
                let changed = try PatientSnapshot.changed(connection, since: since).map {
                    MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: $0.rowHash)
                }
                let n = kept.apply(changed)
                if kept.count == state.active && kept.digest == state.digest {
                    kept.changedUpTo = state.changedUpTo
                    save(kept, to: file, version: version)
                    logIndex("updated", kept, changed: n, since: started)
                    return kept
                }
            }
            reason = "the update did not reproduce the warehouse's MPI"
        case .failure(let problem):
            reason = "\(problem)"
        }
        let built = try buildMPIIndex(state)
        save(built, to: file, version: version)
        logIndex("rebuilt", built, changed: built.count, since: started, reason: reason)
        return built
    }

    private func buildMPIIndex(_ state: PatientTableState) throws -> MPIIndex {
        var builder = MPIIndexBuilder(expectedCount: state.active)
        try PatientSnapshot.forEachActiveBatch(connection) { batch in
            builder.append(batch.map { MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: $0.rowHash) })
        }
        return builder.finish(changedUpTo: state.changedUpTo)
    }

    /// Writes the index for the next night; a failure only costs that night a rebuild.
    private func save(_ index: MPIIndex, to file: MPIIndexFile, version: MPIIndexVersion) {
        do {
            try file.write(index, version: version)
        } catch {
            logger.warning(
                "could not keep the MPI index; the next night builds it again",
                metadata: ["mpi_index.directory": "\(file.directory.path)", "error": "\(type(of: error))"])
        }
    }

    private func logIndex(
        _ how: String, _ index: MPIIndex, changed: Int, since started: ContinuousClock.Instant, reason: String = ""
    ) {
        var metadata: Logger.Metadata = [
            "mpi_index": "\(how)", "patients.active": .number(index.count), "patients.changed": .number(changed),
            "seconds": .seconds((ContinuousClock.now - started).seconds),
        ]
        if !reason.isEmpty { metadata["mpi_index.reason"] = "\(reason)" }
        logger.info("MPI index ready", metadata: metadata)
    }
}
