import Consent
import Foundation
import LastMileCore
import Store
import Warehouse

/// `lastmile consent explain`: a patient's consent decisions from the registry, the MPI and the policy.
public enum ConsentExplain {
    /// The lines of `ConsentGate.explain` for `patientId`, with the directives and birth date in the warehouse.
    ///
    /// A first line notes a patient who is retired or not in the MPI snapshot (age then unknown). The lines
    /// name directive ids, agreements and rules only — never the birth date or any other demographics.
    public static func lines(
        patientId: String, source: String?, recipient: Recipient?, purpose: PurposeOfUse, on date: CivilDate,
        policy: ConsentPolicy, connection: Connection
    ) throws -> [String] {
        let directives = try ConsentStore(connection: connection).directives(forPatients: [patientId])[patientId] ?? []
        let subject = try ConsentStore(connection: connection).subject(patientId: patientId)
        var lines: [String] = []
        if let subject {
            if !subject.active { lines.append("note: the patient is retired from the MPI snapshot") }
            if subject.birthDate == nil { lines.append("note: no birth date in the MPI snapshot; age unknown") }
        } else {
            lines.append("note: the patient is not in the MPI snapshot; age unknown")
        }
        lines.append("directives on record: \(directives.count)")
        lines += ConsentGate(policy: policy).explain(
            patientId: patientId, directives: directives, patientBirthDate: subject?.birthDate, source: source,
            recipient: recipient, purpose: purpose, on: date)
        return lines
    }
}
