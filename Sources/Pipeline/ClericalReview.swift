import Foundation
import LastMileCore
import Matching
import Store
import Warehouse

/// Clerical review of the matcher's uncertain links, as a data steward works the queue: list, show, accept,
/// reject, defer, undo, and the wrong-person report (docs/matching.md, "Clerical review").
///
/// Every decision is one transaction that records who, when (the injected clock) and why in
/// `lastmile.review_decision`. An accept writes the crosswalk entry, whose held records the next run loads; a
/// reject writes a never-link rule the matcher honours; an undo reverses either. Output names items by their
/// queue id and never by a person's name, birth date or id, unless personal data was asked for (and logged).
package struct ClericalReview {
    package let connection: Connection
    package let clock: Clock

    package init(connection: Connection, clock: Clock) {
        self.connection = connection
        self.clock = clock
    }

    var queue: ReviewQueue { ReviewQueue(connection: connection) }

    /// A decision's outcome, for the command's one line of output.
    package struct Outcome: Equatable {
        package var itemId: Int64?
        package var action: ReviewAction
        /// Flags closed by an undone accept or a wrong-person report.
        package var flagsClosed = 0
        /// Event rows removed with the link.
        package var eventsRemoved = 0
    }

    /// The item, or `ReviewError.unknownItem`.
    package func item(_ id: Int64) throws -> ReviewItem {
        guard let item = try queue.item(id: id) else { throw ReviewError.unknownItem(id) }
        return item
    }

    /// Links the item's source person to `patient` (default: the best candidate): a crosswalk entry on the
    /// demographics the item was queued with. The next run loads the held records through gate 2.
    package func accept(_ id: Int64, patient: String?, by: String, note: String) throws -> Outcome {
        try connection.withTransaction {
            let item = try openItem(id)
            guard let patientId = patient ?? item.candidate else { throw ReviewError.noCandidate(id) }
            guard try queue.patient(patientId) != nil else { throw ReviewError.unknownPatient }
            if try queue.isNeverLinked(source: item.source, sourcePersonId: item.sourcePersonId, patientId: patientId) {
                throw ReviewError.neverLinked(id)
            }
            guard
                let fingerprint = try item.demographicsHash
                    ?? queue.incomingPerson(of: item).map(DemographicsFingerprint.of)
            else { throw ReviewError.noHeldRecords(id) }
            let now = clock.now
            try queue.link(
                source: item.source, sourcePersonId: item.sourcePersonId, patientId: patientId,
                fingerprint: fingerprint, at: now)
            try queue.setResolution(item: id, "accepted", patientId: patientId, by: by, note: note, at: now)
            try queue.recordDecision(
                .accept, item: id, source: item.source, sourcePersonId: item.sourcePersonId, patientId: patientId,
                by: by, note: note, at: now)
            return Outcome(itemId: id, action: .accept)
        }
    }

    /// Rejects the best candidate: a never-link rule for the pair, so the matcher does not propose it again.
    package func reject(_ id: Int64, by: String, note: String) throws -> Outcome {
        try connection.withTransaction {
            let item = try openItem(id)
            let now = clock.now
            if let candidate = item.candidate {
                try queue.addNeverLink(
                    source: item.source, sourcePersonId: item.sourcePersonId, patientId: candidate, reason: "rejected",
                    item: id, by: by, note: note, at: now)
            }
            try queue.setResolution(item: id, "rejected", patientId: item.candidate, by: by, note: note, at: now)
            try queue.recordDecision(
                .reject, item: id, source: item.source, sourcePersonId: item.sourcePersonId,
                patientId: item.candidate, by: by, note: note, at: now)
            return Outcome(itemId: id, action: .reject)
        }
    }

    /// Puts the item aside (it stays open, and in the queue's size and age) with the reason why.
    package func deferItem(_ id: Int64, by: String, note: String) throws -> Outcome {
        try connection.withTransaction {
            let item = try openItem(id)
            let now = clock.now
            try queue.setResolution(item: id, "deferred", patientId: nil, by: by, note: note, at: now)
            try queue.recordDecision(
                .postpone, item: id, source: item.source, sourcePersonId: item.sourcePersonId, patientId: nil, by: by,
                note: note, at: now)
            return Outcome(itemId: id, action: .postpone)
        }
    }

    /// Reverses the item's decision and opens it again. An undone accept removes its crosswalk entry and the
    /// events it loaded, and closes the flags they produced; an undone reject removes its never-link rule.
    package func undo(_ id: Int64, by: String, note: String) throws -> Outcome {
        try connection.withTransaction {
            let item = try self.item(id)
            var outcome = Outcome(itemId: id, action: .undo)
            let now = clock.now
            switch item.resolution {
            case "accepted":
                if let patientId = item.resolvedPatientId {
                    outcome = try removeLink(item.source, item.sourcePersonId, patientId, outcome: outcome)
                }
            case "rejected":
                if let candidate = item.resolvedPatientId ?? item.candidate {
                    try queue.removeRejection(
                        source: item.source, sourcePersonId: item.sourcePersonId, patientId: candidate)
                }
            case "deferred": break
            default: throw ReviewError.nothingToUndo(id)
            }
            try queue.setResolution(item: id, nil, patientId: nil, by: by, note: note, at: now)
            try queue.recordDecision(
                .undo, item: id, source: item.source, sourcePersonId: item.sourcePersonId,
                patientId: item.resolvedPatientId, by: by, note: note, at: now, flagsClosed: outcome.flagsClosed)
            return outcome
        }
    }

    /// A practice says a linked record is not their patient's: the link goes, a never-link rule keeps it from
    /// coming back, the events it loaded go and their flags close, and the report is kept as an incident.
    /// Without `sourcePersonId`, the one record of `source` linked to the patient (a practice knows the patient
    /// and the school or shelter, rarely the source's own id); several linked records must be named.
    package func reportWrongPerson(
        patient: String, source: String, sourcePersonId: String?, by: String, note: String
    ) throws -> Outcome {
        try connection.withTransaction {
            let sourcePersonId = try sourcePersonId ?? onlyLinkedRecord(of: patient, in: source)
            guard try queue.linkedPatient(source: source, sourcePersonId: sourcePersonId) == patient else {
                throw ReviewError.noSuchLink
            }
            let now = clock.now
            var outcome = try removeLink(
                source, sourcePersonId, patient, outcome: Outcome(itemId: nil, action: .wrongPerson))
            try queue.addNeverLink(
                source: source, sourcePersonId: sourcePersonId, patientId: patient, reason: "wrong-person", item: nil,
                by: by, note: note, at: now)
            if let item = try queue.item(source: source, sourcePersonId: sourcePersonId),
                item.resolution == "accepted"
            {
                outcome.itemId = item.id
                try queue.setResolution(item: item.id, "rejected", patientId: patient, by: by, note: note, at: now)
            }
            try queue.recordDecision(
                .wrongPerson, item: outcome.itemId, source: source, sourcePersonId: sourcePersonId, patientId: patient,
                by: by, note: note, at: now, flagsClosed: outcome.flagsClosed)
            return outcome
        }
    }

    /// The source person id of the one record of `source` linked to the patient.
    private func onlyLinkedRecord(of patient: String, in source: String) throws -> String {
        let linked = try queue.linkedSourcePeople(source: source, patientId: patient)
        guard linked.count < 2 else { throw ReviewError.severalLinks(linked.count) }
        guard let only = linked.first else { throw ReviewError.noSuchLink }
        return only
    }

    /// Removes a link with its events, and closes the flags of the patient from that source.
    private func removeLink(_ source: String, _ person: String, _ patient: String, outcome: Outcome) throws -> Outcome {
        var outcome = outcome
        let withdrawn = try queue.withdrawLink(
            source: source, sourcePersonId: person, patientId: patient, on: clock.today)
        outcome.eventsRemoved = withdrawn.eventsRemoved
        outcome.flagsClosed = withdrawn.flagsClosed
        return outcome
    }

    /// The item, when still open (undecided or deferred).
    private func openItem(_ id: Int64) throws -> ReviewItem {
        let item = try self.item(id)
        guard item.isOpen else {
            throw ReviewError.alreadyDecided(id, resolution: item.resolution ?? "decided")
        }
        return item
    }
}

/// A review command cannot do what was asked.
package enum ReviewError: ClassifiedError, CustomStringConvertible, Equatable {
    case unknownItem(Int64)
    case alreadyDecided(Int64, resolution: String)
    case nothingToUndo(Int64)
    case noCandidate(Int64)
    case unknownPatient
    case neverLinked(Int64)
    case noHeldRecords(Int64)
    case noSuchLink
    case severalLinks(Int)
    case noModel

    package var exitStatus: ExitStatus {
        switch self {
        case .unknownItem, .unknownPatient, .severalLinks: .usage
        case .noModel: .configuration
        default: .dataError
        }
    }

    package var description: String {
        switch self {
        case .unknownItem(let id): "review item \(id) does not exist; see lastmile review list"
        case .alreadyDecided(let id, let resolution):
            "review item \(id) was already \(resolution); undo it first "
                + "(lastmile review undo \(id) --by … --note …)"
        case .nothingToUndo(let id): "review item \(id) has no decision to undo"
        case .noCandidate(let id): "review item \(id) has no candidate; name one with --patient"
        case .unknownPatient: "--patient: no such patient in the MPI snapshot"
        case .neverLinked(let id):
            "review item \(id): a never-link rule forbids that patient (undo the reject first, if it was a mistake)"
        case .noHeldRecords(let id): "review item \(id) holds no record to link (queued before records were held)"
        case .noSuchLink: "the crosswalk has no link from that source person to that patient; nothing was changed"
        case .severalLinks(let n):
            "\(n) records of that source are linked to that patient: name the wrong one with --source-person "
                + "(its id in the source's file); nothing was changed"
        case .noModel: "the pipeline names no match model; pass --model"
        }
    }
}
