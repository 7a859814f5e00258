import Consent
import Foundation
import LastMileCore
import Logging
import Reports
import Store
import Warehouse

/// Exports flags as FHIR R4 NDJSON (Bulk Data layout) to one recipient, re-checking consent and recording
/// every exported flag in the disclosure log.
public struct FHIRFlagExport {
    public let connection: Connection
    public let gate: ConsentGate
    public let logger: Logger
    /// The clock the export's name and its disclosures' times are read from.
    public let clock: Clock

    public init(connection: Connection, gate: ConsentGate, clock: Clock, logger: Logger) {
        self.connection = connection
        self.gate = gate
        self.clock = clock
        self.logger = logger
    }

    public static let kind = "fhir-export"

    /// What an export wrote.
    public struct Outcome: Sendable, Hashable {
        public var reportName: String
        public var reportId: Int64
        public var flags: Int
        public var patients: Int
        /// Flags left out because consent did not permit them for this recipient and purpose.
        public var withheld: Int
        public var files: [URL]
    }

    /// Writes `Flag.ndjson` and `Patient.ndjson` into `directory` for the flags changed since `since`.
    ///
    /// A flag is exported when a run on or after `since` (UTC) last wrote it, or its period starts or ends on or
    /// after `since`, its patient is active (and attributed to the recipient, when that is a practice: minimum
    /// necessary), and consent permits it to `recipient` for `purpose` on `date`.
    /// - Parameter recipientToken: the recipient as recorded in the disclosure log (`practice:<id>`, `role:<r>`).
    public func run(
        since: CivilDate, recipient: Recipient, recipientToken: String, purpose: PurposeOfUse, to directory: URL,
        on date: CivilDate
    ) throws -> Outcome {
        // One instant for the export's name, its report row and its disclosures.
        let madeAt = clock.now
        let release = Release(
            kind: Self.kind,
            name: Self.kind + "-" + Self.timestamp(madeAt) + "-" + UUID().uuidString.prefix(8).lowercased(),
            audience: ReleaseAudience(recipient: recipient, token: recipientToken, purpose: purpose), root: directory,
            query: { try $0.changedFlags(since: since, attributedTo: recipient.practiceId) },
            render: Self.render)
        let outcome = try ReleasePath(
            connection: connection, gate: gate, clock: .fixed(madeAt, timeZone: clock.timeZone), logger: logger
        ).release(release, on: date)
        return Outcome(
            reportName: outcome.name, reportId: outcome.reportId, flags: outcome.flags, patients: outcome.patients,
            withheld: outcome.withheld, files: outcome.files)
    }

    /// The renderer: every permitted flag as a FHIR Flag, and a Patient for each of their subjects.
    package static func render(_ permitted: ReleaseCandidates) -> RenderedRelease {
        let patients = permitted.patients.values.sorted { $0.patientId < $1.patientId }.map {
            FHIRPatient(
                id: $0.patientId, givenName: $0.givenName, familyName: $0.familyName, birthDate: $0.birthDate,
                sex: $0.sex)
        }
        return RenderedRelease(
            files: FHIRExport().files(flags: permitted.flags.map(\.flag), patients: patients),
            disclosed: permitted.flags, patients: patients.count)
    }

    package static func timestamp(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: instant)
    }
}
