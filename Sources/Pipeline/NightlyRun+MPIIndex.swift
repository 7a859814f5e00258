import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

extension RunState {
    /// The night's MPI index: the kept one when the MPI and the model are as it last saw them; else the kept one
    /// updated from the patient rows changed since it was written; else (no directory, no usable file, or an
    /// update that does not reproduce the warehouse's digest) one built from every active patient.
    ///
    /// A night whose reference refresh loaded the MPI into an empty table uses the index built from those rows as
    /// they were written (`MPIIndexFromFirstLoad`), unless a kept file already matches.
    ///
    /// The kept file is read from the start of the run, beside the reference refresh (`PendingIndexRead`). A
    /// built index is written back for the next night on a thread of its own while the night goes on
    /// (`PendingIndexWrite`; the run waits for it before it ends). An updated one is written back only when the
    /// changes since the file was written pass `rewriteThreshold`: until then each night applies them again,
    /// which costs far less than rewriting the whole file (2.3 GB at 10M patients).
    func mpiIndex() throws -> (MPIIndex, PendingIndexWrite?) {
        var timer = IndexTimer()
        let state = try PatientSnapshot.state(connection)
        timer.lap("state")
        let version = MPIIndexVersion.of(config)
        let file = options.matchIndexDirectory.map { MPIIndexFile(directory: $0) }
        let read = file.map { indexRead?.take() ?? $0.read(version: version) }
        timer.lap("read")
        if case .success(let kept) = read, kept.count == state.active && kept.digest == state.digest {
            logIndex("kept", kept, changed: 0, timer: timer)
            return (kept, nil)
        }
        if let built = indexFromLoad?.index(changedUpTo: state.changedUpTo) {
            timer.lap("finish")
            if built.count == state.active && built.digest == state.digest {
                logIndex("built during the MPI load", built, changed: built.count, timer: timer)
                return (built, file.map { PendingIndexWrite(built, to: $0, version: version) })
            }
            logger.info("the MPI load's index no longer matches the warehouse; building it from the patient table")
        } else if let problem = indexFromLoad?.problem {
            logger.info(
                "the MPI load's rows made no index; building it from the patient table",
                metadata: ["reason": "\(problem)"])
        }
        guard let file, let read else {
            return (try buildMPIIndex(state), nil)
        }
        var reason = ""
        switch read {
        case .success(let kept):
            if let since = kept.changedUpTo {
                let changed = try PatientSnapshot.changed(connection, since: since).map {
                    MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: $0.rowHash)
                }
                timer.lap("changes")
                kept.apply(changed)
                timer.lap("apply")
                if kept.count == state.active && kept.digest == state.digest {
                    guard
                        changed.count > (options.matchIndexRewriteAfter ?? Self.rewriteThreshold(patients: kept.count))
                    else {
                        logIndex("updated", kept, changed: changed.count, timer: timer)
                        return (kept, nil)
                    }
                    kept.changedUpTo = state.changedUpTo
                    let write = PendingIndexWrite(kept, to: file, version: version)
                    logIndex("updated and rewritten", kept, changed: changed.count, timer: timer)
                    return (kept, write)
                }
            }
            reason = "the update did not reproduce the warehouse's MPI"
        case .failure(let problem):
            reason = "\(problem)"
        }
        let built = try buildMPIIndex(state)
        timer.lap("build")
        let write = PendingIndexWrite(built, to: file, version: version)
        logIndex("rebuilt", built, changed: built.count, timer: timer, reason: reason)
        return (built, write)
    }

    /// Patient rows changed since the kept file was written above which it is written again: 1 % of the MPI,
    /// at least 10,000. A night re-reads and re-applies every change since the file was written, so this bounds
    /// that work; at 0.1 % of the MPI changed a night, the file is rewritten about every tenth night.
    static func rewriteThreshold(patients: Int) -> Int { max(10_000, patients / 100) }

    private func buildMPIIndex(_ state: PatientTableState) throws -> MPIIndex {
        var builder = MPIIndexBuilder(expectedCount: state.active)
        try PatientSnapshot.forEachActiveBatch(connection) { batch in
            builder.append(batch.map { MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: $0.rowHash) })
        }
        return builder.finish(changedUpTo: state.changedUpTo)
    }

    private func logIndex(_ how: String, _ index: MPIIndex, changed: Int, timer: IndexTimer, reason: String = "") {
        var metadata: Logger.Metadata = [
            "mpi_index": "\(how)", "patients.active": .number(index.count), "patients.changed": .number(changed),
            "seconds": .seconds(timer.total),
        ]
        for (part, seconds) in timer.parts { metadata["seconds.\(part)"] = .seconds(seconds) }
        if !reason.isEmpty { metadata["mpi_index.reason"] = "\(reason)" }
        logger.info("MPI index ready", metadata: metadata)
    }
}

/// The kept index file read on a thread of its own from the start of the run: reading it (2.3 GB at 10M
/// patients) needs nothing of the reference refresh, which the server does meanwhile. Only a cache: the index
/// is still checked against the warehouse, once the refresh is done, before the night uses it.
final class PendingIndexRead: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<MPIIndex, MPIIndexFileProblem> = .failure(.missing)
    private var taken = false

    init(_ file: MPIIndexFile, version: MPIIndexVersion) {
        Thread.detachNewThread { [self] in
            result = file.read(version: version)
            done.signal()
        }
    }

    /// Waits for the read and hands its result over (once; later calls give nil).
    func take() -> Result<MPIIndex, MPIIndexFileProblem>? {
        guard !taken else { return nil }
        taken = true
        done.wait()
        defer { result = .failure(.missing) }
        return result
    }
}

extension MPIIndexVersion {
    /// The version of this build and the pipeline's match model.
    static func of(_ config: PipelineConfig) -> MPIIndexVersion {
        MPIIndexVersion(
            model: modelDigest(config.matchModelPath.flatMap { FileManager.default.contents(atPath: $0) }))
    }
}

/// Seconds per part of readying the index, for the log.
private struct IndexTimer {
    let started = ContinuousClock.now
    private var last = ContinuousClock.now
    private(set) var parts: [(String, Double)] = []

    var total: Double { (ContinuousClock.now - started).seconds }

    mutating func lap(_ part: String) {
        let now = ContinuousClock.now
        parts.append((part, (now - last).seconds))
        last = now
    }
}

/// The kept index being written on a thread of its own, from an image taken when the write began (so the
/// night can match with the index, and change it, meanwhile). `finish` waits for it; a failure only costs the
/// next night a rebuild, and is logged.
final class PendingIndexWrite: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let directory: URL
    private let started = ContinuousClock.now
    private var failure: (any Error)?
    private var seconds = 0.0

    init(_ index: MPIIndex, to file: MPIIndexFile, version: MPIIndexVersion) {
        directory = file.directory
        let image = index.image()
        Thread.detachNewThread { [self] in
            do {
                try file.write(image, version: version)
            } catch {
                failure = error
            }
            seconds = (ContinuousClock.now - started).seconds
            done.signal()
        }
    }

    /// Waits for the write (call once) and logs how it went.
    func finish(logger: Logger) {
        done.wait()
        if let failure {
            logger.warning(
                "could not keep the MPI index; the next night builds it again",
                metadata: ["mpi_index.directory": "\(directory.path)", "error": "\(type(of: failure))"])
        } else {
            logger.debug("MPI index kept for the next night", metadata: ["seconds": .seconds(seconds)])
        }
    }
}
