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
/// own (two batches in flight at most). Once the COPY is done, in the same transaction, `readRowHashes` takes
/// each row's hash as the warehouse stored it, in the order of the table's scan (`RowHashAssignment`). The night then uses the index only if it still describes the
/// warehouse's active patients (count and digest, checked by `RunState.mpiIndex`); otherwise it builds one.
final class MPIIndexFromFirstLoad: @unchecked Sendable {
    private let queue = DispatchQueue(label: "lastmile.mpi-index.first-load")
    private let inFlight = DispatchSemaphore(value: 2)
    private var builder = MPIIndexBuilder()
    private var batch: [MPIIndexRow] = []
    /// False once the rows cannot make the index (a second load, or hashes that do not line up).
    private var usable = true
    private var hashed = false
    /// Why the rows made no index (for the log); nil while they can.
    private(set) var problem: String?

    static let batchSize = 16_384

    /// A patient the first load wrote, with the demographics as the warehouse stores them (and reads back).
    func add(_ patient: StagedPatient) {
        let p = patient.person
        let stored = PersonIdentity(
            sourcePersonId: patient.patientId, givenName: p.givenName, familyName: p.familyName,
            birthDate: p.birthDate, sex: p.sex, street: p.street, city: p.city, state: p.state,
            postalCode: p.postalCode, phone: p.phone, ssn: p.ssn)
        batch.append(MPIIndexRow(patientId: patient.patientId, person: stored, rowHash: 0))
        if batch.count == Self.batchSize { flush() }
    }

    /// After the COPY, inside its transaction: waits for the builder, then sets each row's stored hash.
    func readRowHashes(_ connection: Connection) throws {
        flush()
        queue.sync {}
        guard usable, !hashed else {
            usable = false
            problem = "a second MPI load"
            return
        }
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
