import Flags
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
package struct FlagStore {
    package let connection: Connection

    package init(connection: Connection) {
        self.connection = connection
    }

    /// The patients with an active flag of one of `sources`.
    package func patients(withActiveFlagsFrom sources: [String]) throws -> Set<String> {
        Set(
            try connection.execute(
                "SELECT DISTINCT patient_id FROM lastmile.flag WHERE status = 'active' AND source = ANY($1::text[])",
                [ConsentStore.textArray(sources)]
            ).rows.compactMap { $0["patient_id"] })
    }

    /// The stored flags (of the `patients` only, when given).
    package func stored(patients: [String]? = nil) throws -> [Flag] {
        let decoder = JSONDecoder()
        let only = patients == nil ? "" : "WHERE patient_id = ANY($1::text[])"
        return try connection.execute(
            """
            SELECT patient_id, kind, source, tier, status, period_start, period_end, codes, evidence
            FROM lastmile.flag \(only) ORDER BY patient_id, kind, source, period_start
            """, patients.map { [ConsentStore.textArray($0)] } ?? []
        ).rows.compactMap { row in
            guard let patient = row["patient_id"], let kind = row["kind"].flatMap(FlagKind.init(rawValue:)),
                let source = row["source"], let status = row["status"].flatMap(FlagStatus.init(rawValue:)),
                let start = row.date("period_start")
            else { return nil }
            let codes = (try? decoder.decode([Coding].self, from: Data((row["codes"] ?? "[]").utf8))) ?? []
            let evidence =
                (try? decoder.decode([String: String].self, from: Data((row["evidence"] ?? "{}").utf8))) ?? [:]
            return Flag(
                patientId: patient, kind: kind, tier: row["tier"] ?? "", codes: codes, status: status,
                periodStart: start, periodEnd: row.date("period_end"), evidence: evidence, source: source)
        }
    }

    /// Upserts flags with a `StagedMerge` keyed by (patient, kind, source, period start); a row is rewritten only
    /// when one of its values changed. Into an empty table (the first night) they are COPYed straight in.
    ///
    /// `closed` counts transitions only: a flag stored active and now inactive. A flag already inactive whose
    /// details were rewritten counts as updated, like every other rewrite.
    /// - Parameter stored: the flags as stored before this upsert (read from the warehouse when nil).
    package func upsert(_ flags: [Flag], stored: [Flag]? = nil, runId: Int64, alwaysMerge: Bool = false) throws
        -> FlagCounts
    {
        var counts = FlagCounts()
        let stored = try stored ?? self.stored()
        let closing = Self.closings(of: flags, stored: stored)
        // A flag as it is stored would not be rewritten: it is neither encoded nor staged.
        let flags = Self.changed(flags, stored: stored)
        guard !flags.isEmpty else {
            counts.active = try activeCount()
            return counts
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let merge = StagedMerge(
            table: "flag",
            columns: [
                "patient_id", "kind", "source", "tier", "status", "period_start", "period_end", "codes", "evidence",
            ],
            key: ["patient_id", "kind", "source", "period_start"], runColumns: ["created_run", "updated_run"],
            onUpdate: ["updated_run = $1"], countUpdatedBy: "status")
        let merged = try merge.run(
            flags, runId: runId, connection: connection, alwaysMerge: alwaysMerge,
            rowKey: { RowKey($0.patientId, $0.kind.rawValue, $0.source, date: $0.periodStart) },
            write: { writer, flag in
                try writer.append(flag.patientId)
                try writer.append(flag.kind.rawValue)
                try writer.append(flag.source)
                try writer.append(flag.tier)
                try writer.append(flag.status.rawValue)
                try writer.append(flag.periodStart)
                try writer.append(flag.periodEnd)
                try writer.append(String(decoding: try encoder.encode(flag.codes), as: UTF8.self))
                try writer.append(String(decoding: try encoder.encode(flag.evidence), as: UTF8.self))
            })
        counts.created = merged.inserted
        counts.closed = closing
        counts.updated = merged.updated - closing
        counts.active = try activeCount()
        return counts
    }

    /// The active flags in the warehouse, of every source and patient (not only those of this upsert).
    private func activeCount() throws -> Int {
        Int(try connection.execute("SELECT count(*) FROM lastmile.flag WHERE status = 'active'").scalar ?? "0") ?? 0
    }

    /// The last flag of each key in `flags`, in their order, except those `stored` holds exactly so.
    package static func changed(_ flags: [Flag], stored: [Flag]) -> [Flag] {
        var storedByKey: [FlagKey: Flag] = [:]
        for flag in stored { storedByKey[flag.key] = flag }
        var last: [FlagKey: Int] = [:]
        for (i, flag) in flags.enumerated() { last[flag.key] = i }
        return flags.indices.filter { last[flags[$0].key] == $0 && storedByKey[flags[$0].key] != flags[$0] }
            .map { flags[$0] }
    }

    /// How many of `flags` (the last of each key) close a flag `stored` holds active.
    package static func closings(of flags: [Flag], stored: [Flag]) -> Int {
        let wasActive = Set(stored.lazy.filter { $0.status == .active }.map(\.key))
        var status: [FlagKey: FlagStatus] = [:]
        for flag in flags { status[flag.key] = flag.status }
        return status.filter { $0.value == .inactive && wasActive.contains($0.key) }.count
    }
}
