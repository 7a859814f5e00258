import Foundation
import LastMileCore
import Matching
import Store
import Warehouse

/// The matcher's MPI index built from a first MPI load's rows while they are COPYed into the empty patient
/// table, so that the night does not read a million patients back from the warehouse and normalise them after
/// the load: the client normalises and encodes on the cores the server's COPY leaves idle.
///
/// Rows are handed over as the load writes them (`add`), batched, and appended to the builder on a queue of its
/// own (`maxBatchesInFlight` at most, so that the COPY seldom waits for the builder). Later in the same
/// transaction, once the rest of the reference data is loaded (the builder catches up meanwhile), and only if
/// no delta or merge changed a patient since (`patientsChanged`), `readRowHashes` takes each row's hash as the
/// warehouse stored it, in the order of the table's scan (`RowHashAssignment`). The night then uses the index
/// only if it still describes the warehouse's active patients (count and digest, checked by
/// `RunState.mpiIndex`); otherwise it builds one.
final class MPIIndexFromFirstLoad: @unchecked Sendable {
    private let queue = DispatchQueue(label: "lastmile.mpi-index.first-load")
    private let inFlight = DispatchSemaphore(value: maxBatchesInFlight)
    private var builder = MPIIndexBuilder()
    private var batch: [MPIIndexRow] = []
    /// False once the rows cannot make the index (patients changed since, or hashes that do not line up).
    private var usable = true
    private var hashed = false
    /// Rows handed over by `add`.
    private var added = 0
    /// Why the rows made no index (for the log); nil while they can.
    private(set) var problem: String?

    static let batchSize = 16_384
    /// Batches handed over and not yet appended (about 5 MB each) above which `add` waits.
    static let maxBatchesInFlight = 8

    /// A patient the first load wrote, with the demographics as the warehouse stores them (and reads back).
    func add(_ patient: StagedPatient) {
        let p = patient.person
        let stored = PersonIdentity(
            sourcePersonId: patient.patientId, givenName: p.givenName, familyName: p.familyName,
            birthDate: p.birthDate, sex: p.sex, street: p.street, city: p.city, state: p.state,
            postalCode: p.postalCode, phone: p.phone, ssn: p.ssn)
        batch.append(MPIIndexRow(patientId: patient.patientId, person: stored, rowHash: 0))
        added += 1
        if batch.count == Self.batchSize { flush() }
    }

    /// A later load of the same refresh (a delta, a merge) changed patients: the rows no longer make the index.
    func patientsChanged() {
        guard added > 0 else { return }
        usable = false
        problem = "patients changed after the MPI load"
    }

    /// After the load, inside its transaction: waits for the builder, then sets each row's stored hash. Does
    /// nothing when no load handed rows over.
    func readRowHashes(_ connection: Connection) throws {
        flush()
        queue.sync {}
        guard usable, !hashed, added > 0 else { return }
        hashed = true
        var assignment = MPIIndexBuilder.RowHashAssignment()
        try PatientSnapshot.forEachRowHash(connection) { builder.assignRowHashes($0, &assignment) }
        usable = builder.assignedAllRowHashes(&assignment)
        if !usable { problem = "the warehouse's rows are not the rows the load wrote" }
    }

    /// The index, if the load's rows and hashes made one (positions sorted as any built index's); else nil.
    func index(changedUpTo: String?) -> MPIIndex? {
        queue.sync {}
        guard usable, hashed else { return nil }
        usable = false
        let done = builder
        builder = MPIIndexBuilder()
        return done.finish(changedUpTo: changedUpTo)
    }

    private func flush() {
        guard !batch.isEmpty else { return }
        let rows = batch
        batch = []
        batch.reserveCapacity(Self.batchSize)
        inFlight.wait()
        queue.async { [self] in
            builder.append(rows)
            inFlight.signal()
        }
    }
}
