import Foundation
import LastMileCore
import Warehouse

/// The accounting of disclosures (`lastmile.disclosure`): every patient flag placed in a report or export.
public struct DisclosureLog {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// One disclosed flag, as `lastmile disclosures` lists it.
    public struct Entry: Sendable, Hashable {
        public var disclosedAt: String
        public var patientId: String
        public var flagId: Int64
        public var kind: String
        public var source: String
        public var tier: String
        public var periodStart: CivilDate?
        public var recipient: String
        public var purpose: String
        /// The report's name, e.g. `absenteeism-riverside-peds-2026-11-23`.
        public var report: String
        /// The report's delivery status when the disclosure belongs to a recorded report.
        public var deliveryStatus: String?
        /// The patient `patientId` now belongs to when it was merged into another since (the record itself
        /// keeps the id it was disclosed under); nil when it was not.
        public var mergedInto: String? = nil
    }

    /// Records that `flagIds` of their patients went into report `reportId`; call inside the transaction
    /// that records the report, so a report is never recorded without its disclosures. A flag the report
    /// already lists (a list made again without a delivery command) is not recorded twice.
    package func record(
        _ disclosed: [(patientId: String, flagId: Int64)], recipient: String, purpose: String, reportName: String,
        reportId: Int64, at now: Date
    ) throws {
        guard !disclosed.isEmpty else { return }
        // One statement for the batch: parallel arrays unnested server-side.
        try connection.execute(
            """
            INSERT INTO lastmile.disclosure (patient_id, flag_id, recipient, purpose, report, report_id, disclosed_at)
            SELECT d.patient_id, d.flag_id, $3, $4, $5, $6, $7::timestamptz
            FROM unnest($1::text[], $2::bigint[]) AS d(patient_id, flag_id)
            WHERE NOT EXISTS (
                SELECT 1 FROM lastmile.disclosure x WHERE x.report_id = $6 AND x.flag_id = d.flag_id)
            """,
            [
                ConsentStore.textArray(disclosed.map(\.patientId)),
                "{" + disclosed.map { String($0.flagId) }.joined(separator: ",") + "}", recipient, purpose,
                reportName, Int(reportId), Clock.sqlTimestamp(now),
            ])
    }

    /// The patient's disclosures, oldest first, optionally only those on or after `since` (UTC day).
    ///
    /// A patient's disclosures include those recorded under patients merged into it (`lastmile.patient_merge`):
    /// each keeps the id it was recorded under, with `mergedInto` naming where that id went. The accounting
    /// itself is never rewritten.
    public func entries(patientId: String, since: CivilDate? = nil) throws -> [Entry] {
        let rows = try connection.execute(
            """
            WITH RECURSIVE \(PatientMerges.familyCTE(parameter: "ARRAY[$1::text]"))
            SELECT to_char(d.disclosed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS disclosed_at,
                   d.patient_id, d.flag_id, f.kind, f.source, f.tier, f.period_start, d.recipient, d.purpose,
                   d.report, r.delivery_status,
                   nullif(lastmile.surviving_patient(d.patient_id), d.patient_id) AS merged_into
            FROM lastmile.disclosure d
            JOIN lastmile.flag f ON f.flag_id = d.flag_id
            LEFT JOIN lastmile.report r ON r.report_id = d.report_id
            WHERE d.patient_id IN (SELECT patient_id FROM merged_family)
              AND ($2::date IS NULL OR d.disclosed_at >= ($2::date AT TIME ZONE 'UTC'))
            ORDER BY d.disclosed_at, d.disclosure_id
            """, [patientId, since]
        ).rows
        return rows.map { row in
            Entry(
                disclosedAt: row["disclosed_at"] ?? "", patientId: row["patient_id"] ?? "",
                flagId: Int64(row["flag_id"] ?? "") ?? 0, kind: row["kind"] ?? "", source: row["source"] ?? "",
                tier: row["tier"] ?? "", periodStart: row.date("period_start"), recipient: row["recipient"] ?? "",
                purpose: row["purpose"] ?? "", report: row["report"] ?? "", deliveryStatus: row["delivery_status"],
                mergedInto: row["merged_into"])
        }
    }
}
