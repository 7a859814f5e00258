import Consent
import Foundation
import LastMileCore
import Store
import Warehouse

/// A consent policy file that cannot be read. Exit status 78 (configuration).
public struct ConsentPolicyFileError: ClassifiedError, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var exitStatus: ExitStatus { .configuration }
    public var description: String { "\(path): cannot read the consent policy: \(reason)" }
}

/// `lastmile consent explain`: a patient's consent decisions from the registry, the MPI and the policy.
public enum ConsentExplain {
    /// Reads and validates a consent policy file (pipelines/consent-policy.yaml).
    /// - Throws: `ConsentPolicyFileError` or `ConsentPolicyError` (both exit 78).
    public static func loadPolicy(path: String) throws -> ConsentPolicy {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConsentPolicyFileError(path: path, reason: "missing, unreadable or not UTF-8")
        }
        return try ConsentPolicy(yaml: text, file: URL(fileURLWithPath: path).lastPathComponent)
    }

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
