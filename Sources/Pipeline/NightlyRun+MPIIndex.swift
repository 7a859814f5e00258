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
    /// A built index is written back for the next night on a thread of its own while the night goes on
    /// (`PendingIndexWrite`; the run waits for it before it ends). An updated one is written back only when the
    /// changes since the file was written pass `rewriteThreshold`: until then each night applies them again,
    /// which costs far less than rewriting the whole file (2.3 GB at 10M patients).
    func mpiIndex() throws -> (MPIIndex, PendingIndexWrite?) {
        var timer = IndexTimer()
        let version = MPIIndexVersion(
            model: MPIIndexVersion.modelDigest(
                config.matchModelPath.flatMap { FileManager.default.contents(atPath: $0) }))
        guard let directory = options.matchIndexDirectory else {
            return (try buildMPIIndex(try PatientSnapshot.state(connection)), nil)
        }
        let file = MPIIndexFile(directory: directory)
        // The warehouse is asked for its state and the rows changed since the file's mark while the file is read
        // (at 10M patients each takes seconds); nothing else uses the connection until the answers are taken.
        var asked: IndexQuestions?
        let read = file.read(version: version) { since in asked = IndexQuestions(connection, since: since) }
        let answers = try (asked ?? IndexQuestions(connection, since: nil)).answers()
        let state = answers.state
        timer.lap("read")
        var reason = ""
        switch read {
        case .success(let kept):
            if kept.count == state.active && kept.digest == state.digest {
                logIndex("kept", kept, changed: 0, timer: timer)
                return (kept, nil)
            }
            if let changed = answers.changed {
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

/// The warehouse's answers the kept index is checked and updated with: the patient table's state, and the rows
/// changed since the file's mark (when it has one), asked on a thread of its own.
private final class IndexQuestions: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<(state: PatientTableState, changed: [MPIIndexRow]?), any Error> =
        .failure(CancellationError())

    private let connection: Connection

    init(_ connection: Connection, since: String?) {
        self.connection = connection
        Thread.detachNewThread { [self] in
            result = Result {
                let state = try PatientSnapshot.state(self.connection)
                let changed = try since.map { since in
                    try PatientSnapshot.changed(self.connection, since: since).map {
                        MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: $0.rowHash)
                    }
                }
                return (state, changed)
            }
            done.signal()
        }
    }

    /// Waits for the answers (call once).
    func answers() throws -> (state: PatientTableState, changed: [MPIIndexRow]?) {
        done.wait()
        return try result.get()
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
