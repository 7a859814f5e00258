import Foundation
import LastMileCore
import Warehouse

/// Created, updated and closed flag counts of one run.
public struct FlagCounts: Sendable, Codable, Equatable {
    public var created = 0
    public var updated = 0
    public var closed = 0
    public var active = 0
    public init() {}
}

/// Reads and writes `lastmile.flag`. A flag is keyed by (patient, kind, source, period start); a flag whose
/// evidence ended is stored inactive with an end date, never deleted.
struct FlagStore {
    let connection: Connection

    func stored() throws -> [Flag] {
        let decoder = JSONDecoder()
        return try connection.execute(
            """
            SELECT patient_id, kind, source, tier, status, period_start, period_end, codes, evidence
            FROM lastmile.flag ORDER BY patient_id, kind, source, period_start
            """
        ).rows.compactMap { row in
            guard let patient = row["patient_id"], let kind = row["kind"].flatMap(FlagKind.init(rawValue:)),
                let source = row["source"], let status = row["status"].flatMap(FlagStatus.init(rawValue:)),
                let start = row.date("period_start")
            else { return nil }
            let codes = (try? decoder.decode([Coding].self, from: Data((row["codes"] ?? "[]").utf8))) ?? []
            let evidence = (try? decoder.decode([String: String].self, from: Data((row["evidence"] ?? "{}").utf8))) ?? [:]
            return Flag(
                patientId: patient, kind: kind, tier: row["tier"] ?? "", codes: codes, status: status,
                periodStart: start, periodEnd: row.date("period_end"), evidence: evidence, source: source)
        }
    }

    /// Upserts flags through a staging table; a row is rewritten only when one of its values changed.
    func upsert(_ flags: [Flag], runId: Int64) throws -> FlagCounts {
        var counts = FlagCounts()
        guard !flags.isEmpty else { return counts }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try connection.execute(
            unsafeSQL: """
                CREATE TEMP TABLE stage_flag (
                    patient_id text, kind text, source text, tier text, status text, period_start date,
                    period_end date, codes jsonb, evidence jsonb, seq bigint
                ) ON COMMIT DROP
                """)
        try connection.withCopy(
            "COPY stage_flag (patient_id, kind, source, tier, status, period_start, period_end, codes, evidence, seq) FROM STDIN"
        ) { writer in
            for (i, flag) in flags.enumerated() {
                try writer.append(flag.patientId)
                try writer.append(flag.kind.rawValue)
                try writer.append(flag.source)
                try writer.append(flag.tier)
                try writer.append(flag.status.rawValue)
                try writer.append(flag.periodStart)
                try writer.append(flag.periodEnd)
                try writer.append(String(decoding: try encoder.encode(flag.codes), as: UTF8.self))
                try writer.append(String(decoding: try encoder.encode(flag.evidence), as: UTF8.self))
                try writer.append(i)
                try writer.endRow()
            }
        }
        let result = try connection.execute(
            """
            WITH latest AS (
                SELECT DISTINCT ON (patient_id, kind, source, period_start) *
                FROM stage_flag ORDER BY patient_id, kind, source, period_start, seq DESC
            ), upserted AS (
                INSERT INTO lastmile.flag AS f
                    (patient_id, kind, source, tier, status, period_start, period_end, codes, evidence, created_run, updated_run)
                SELECT patient_id, kind, source, tier, status, period_start, period_end, codes, evidence, $1::bigint, $1::bigint
                FROM latest
                ON CONFLICT (patient_id, kind, source, period_start) DO UPDATE SET
                    tier = EXCLUDED.tier, status = EXCLUDED.status, period_end = EXCLUDED.period_end,
                    codes = EXCLUDED.codes, evidence = EXCLUDED.evidence, updated_run = EXCLUDED.updated_run
                WHERE (f.tier, f.status, f.period_end, f.codes, f.evidence)
                    IS DISTINCT FROM (EXCLUDED.tier, EXCLUDED.status, EXCLUDED.period_end, EXCLUDED.codes, EXCLUDED.evidence)
                RETURNING (xmax = 0) AS inserted, status
            )
            SELECT count(*) FILTER (WHERE inserted) AS created,
                   count(*) FILTER (WHERE NOT inserted AND status = 'active') AS updated,
                   count(*) FILTER (WHERE NOT inserted AND status = 'inactive') AS closed
            FROM upserted
            """, [runId])
        counts.created = result.rows.first?.int("created") ?? 0
        counts.updated = result.rows.first?.int("updated") ?? 0
        counts.closed = result.rows.first?.int("closed") ?? 0
        counts.active = Int(try connection.execute("SELECT count(*) FROM lastmile.flag WHERE status = 'active'").scalar ?? "0") ?? 0
        return counts
    }
}
