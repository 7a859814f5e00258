import Foundation
import LastMileCore
import Warehouse

/// The review queue as the nightly run uses it: the records of people in review are held until a decision
/// links them, never-link rules are read before matching, and the open queue is measured for the summary.
package struct ReviewQueue {
    package let connection: Connection

    package init(connection: Connection) {
        self.connection = connection
    }

    /// A record held for a source person in review (`source_person_id` is the queue's key: the source's id, or
    /// `fp:` and the demographics hash when the source has none).
    package typealias HeldRecord = (sourcePersonId: String, record: SourceRecord)

    /// Holds the records of people sent to review (a re-sent record replaces the one held under its record id).
    package func hold(_ held: [HeldRecord], runId: Int64, alwaysMerge: Bool = false) throws {
        guard !held.isEmpty else { return }
        var last: [String: Int] = [:]
        for (i, h) in held.enumerated() {
            last[h.record.source + "\u{1F}" + h.sourcePersonId + "\u{1F}" + h.record.recordId] = i
        }
        let order = last.values.sorted()
        // Into an empty table (a first night) the rows go straight in: the merge below would insert each of them,
        // after staging them and converting their JSON a second time (1.2 s of a 1M first night's 2.4 s).
        if try !alwaysMerge && connection.canCopyStraightIn("lastmile.review_record") {
            _ = try connection.withCopy(
                "COPY lastmile.review_record (source, source_person_id, record_id, record, run_id) FROM STDIN"
            ) { writer in
                try Self.copyRows(order, of: held, runId: runId) { try writer.appendPreformatted($0) }
            }
            return
        }
        // Staged with COPY, then merged: a night of a large world holds a hundred thousand records, and one
        // INSERT of arrays that size cost several times the event tables' load (docs/benchmarks/nightly.md).
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.held_stage;
                CREATE TEMP TABLE held_stage (source text, source_person_id text, record_id text, record text);
                """)
        _ = try connection.withCopy("COPY pg_temp.held_stage FROM STDIN") { writer in
            try Self.copyRows(order, of: held, runId: nil) { try writer.appendPreformatted($0) }
        }
        try connection.execute(
            """
            INSERT INTO lastmile.review_record AS r (source, source_person_id, record_id, record, run_id)
            SELECT source, source_person_id, record_id, record::jsonb, $1::bigint FROM pg_temp.held_stage
            ON CONFLICT (source, source_person_id, record_id) DO UPDATE
                SET record = EXCLUDED.record, run_id = EXCLUDED.run_id, loaded_run = NULL
                WHERE r.record IS DISTINCT FROM EXCLUDED.record
            """, [runId])
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.held_stage")
    }

    /// The COPY rows (source, source person, record id, JSON, and `runId` when given) of `held` at the
    /// positions `order`, in that order, handed to `body` a piece at a time. Each piece is written in as many
    /// slices as there are cores while the COPY sends the one before: the JSON of a first night's 124k held
    /// records took the client longer than the server took to store them.
    private static func copyRows(
        _ order: [Int], of held: [HeldRecord], runId: Int64?, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for start in stride(from: 0, to: order.count, by: 8192 * cores) {
            let end = min(order.count, start + 8192 * cores)
            let slices = end - start < 1024 ? 1 : cores
            var pieces = [[UInt8]](repeating: [], count: slices)
            try held.withUnsafeBufferPointer { held in
                try order.withUnsafeBufferPointer { order in
                    try pieces.withUnsafeMutableBufferPointer { pieces in
                        try forEachSlice(of: end - start, slices: slices) { part, slice in
                            let positions = order[(start + part.lowerBound)..<(start + part.upperBound)]
                            pieces[slice] = try rowBytes(positions, of: held, runId: runId)
                        }
                    }
                }
            }
            for piece in pieces { try piece.withUnsafeBytes(body) }
        }
    }

    /// The COPY text of the rows at `positions` of `held`, each ended with a newline.
    private static func rowBytes(
        _ positions: UnsafeBufferPointer<Int>.SubSequence, of held: UnsafeBufferPointer<HeldRecord>, runId: Int64?
    ) throws -> [UInt8] {
        var json = HeldRecordJSON()
        var scratch = CopyWriter()
        var bytes: [UInt8] = []
        for i in positions {
            try scratch.append(held[i].record.source)
            try scratch.append(held[i].sourcePersonId)
            try scratch.append(held[i].record.recordId)
            json.write(held[i].record)
            try json.bytes.withUnsafeBufferPointer { try scratch.append(utf8: $0) }
            if let runId { try scratch.append(Int(runId)) }
            scratch.takeRow { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// A held record whose person the crosswalk now links, with the patient.
    package typealias ReleasedRecord = (sourcePersonId: String, patientId: String, record: SourceRecord)

    /// Held records not yet loaded whose source person has a crosswalk entry decided on the demographics they
    /// were queued with (an accepted item), or whose item is gone (the matcher linked the person since), in a
    /// stable order. A link older than the item (the person's demographics changed, hence the review) releases
    /// nothing.
    package func releasable(sources: Set<String>) throws -> [ReleasedRecord] {
        let decoder = JSONDecoder()
        return try connection.execute(
            """
            SELECT r.source_person_id, c.patient_id, r.record::text AS record
            FROM lastmile.review_record r
            JOIN lastmile.source_crosswalk c ON c.source = r.source AND c.source_person_id = r.source_person_id
            LEFT JOIN lastmile.review_queue q ON q.source = r.source AND q.source_person_id = r.source_person_id
            WHERE r.loaded_run IS NULL AND r.source = ANY($1::text[])
              AND (q.source IS NULL OR (q.resolution = 'accepted' AND q.resolved_patient_id = c.patient_id
                                        AND q.demographics_hash IS NOT DISTINCT FROM c.demographics_hash))
            ORDER BY r.source, r.source_person_id, r.record_id
            """, [ConsentStore.textArray(Array(sources))]
        ).rows.compactMap { row in
            guard let person = row["source_person_id"], let patient = row["patient_id"],
                let text = row["record"], let record = try? decoder.decode(SourceRecord.self, from: Data(text.utf8))
            else { return nil }
            return (person, patient, record)
        }
    }

    /// The held records not yet loaded of these source people, whatever their link: for people the matcher
    /// links tonight, whose records held on earlier nights load with tonight's.
    package func heldRecords(of people: [(source: String, sourcePersonId: String)]) throws
        -> [(source: String, sourcePersonId: String, record: SourceRecord)]
    {
        guard !people.isEmpty else { return [] }
        let decoder = JSONDecoder()
        return try connection.execute(
            """
            SELECT r.source, r.source_person_id, r.record::text AS record
            FROM lastmile.review_record r JOIN unnest($1::text[], $2::text[]) AS u(s, p)
                ON r.source = u.s AND r.source_person_id = u.p
            WHERE r.loaded_run IS NULL
            ORDER BY r.source, r.source_person_id, r.record_id
            """, [ConsentStore.textArray(people.map(\.source)), ConsentStore.textArray(people.map(\.sourcePersonId))]
        ).rows.compactMap { row in
            guard let source = row["source"], let person = row["source_person_id"], let text = row["record"],
                let record = try? decoder.decode(SourceRecord.self, from: Data(text.utf8))
            else { return nil }
            return (source, person, record)
        }
    }

    /// Marks the accepted items of these source people applied by `runId` and deletes their held records: the
    /// records are in the event tables now, and a copy held beside them would outlive its purpose.
    package func markLoaded(_ people: [(source: String, sourcePersonId: String)], runId: Int64) throws {
        guard !people.isEmpty else { return }
        let sources = ConsentStore.textArray(people.map(\.source))
        let ids = ConsentStore.textArray(people.map(\.sourcePersonId))
        try connection.execute(
            """
            DELETE FROM lastmile.review_record r USING unnest($1::text[], $2::text[]) AS u(s, p)
            WHERE r.source = u.s AND r.source_person_id = u.p AND r.loaded_run IS NULL AND r.run_id <> $3::bigint
            """, [sources, ids, runId])
        try connection.execute(
            """
            UPDATE lastmile.review_queue q SET applied_run = $3::bigint
            FROM unnest($1::text[], $2::text[]) AS u(s, p)
            WHERE q.source = u.s AND q.source_person_id = u.p AND q.resolution = 'accepted'
            """, [sources, ids, runId])
        try connection.execute(
            """
            DELETE FROM lastmile.review_record r WHERE r.loaded_run IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM lastmile.review_queue q
                WHERE q.source = r.source AND q.source_person_id = r.source_person_id)
            """)
    }

    /// Deletes the held records of the given sources' items still undecided (or deferred) that were queued
    /// before `cutoff`, and of items rejected before it (their records are never loaded). The items stay in the
    /// queue. `cutoff` comes from the run's clock, never the server's.
    /// - Returns: how many records were deleted.
    package func deleteExpiredHeldRecords(queuedBefore cutoff: Date, sources: Set<String>) throws -> Int {
        try connection.execute(
            """
            DELETE FROM lastmile.review_record r
            USING lastmile.review_queue q LEFT JOIN lastmile.run u ON u.run_id = q.run_id
            WHERE q.source = r.source AND q.source_person_id = r.source_person_id AND r.source = ANY($1::text[])
              AND ((q.resolved_at IS NULL AND coalesce(u.started_at, q.created_at) < $2::timestamptz)
                   OR (q.resolution = 'rejected' AND q.resolved_at < $2::timestamptz))
            """, [ConsentStore.textArray(Array(sources)), Clock.sqlTimestamp(cutoff)]
        ).affectedRows ?? 0
    }

    /// The open items (undecided or deferred) of the given sources, as `source + U+001F + source person id`.
    package func openItemKeys(sources: Set<String>) throws -> Set<String> {
        Set(
            try connection.execute(
                """
                SELECT source || chr(31) || source_person_id FROM lastmile.review_queue
                WHERE resolved_at IS NULL AND source = ANY($1::text[])
                """, [ConsentStore.textArray(Array(sources))]
            ).rows.compactMap { $0[0] })
    }

    /// Never-link rules of the given sources: the patients each source person must not be linked to, keyed by
    /// `source + U+001F + source person id`.
    package func neverLinks(sources: Set<String>) throws -> [String: Set<String>] {
        var rules: [String: Set<String>] = [:]
        for row in try connection.execute(
            "SELECT source, source_person_id, patient_id FROM lastmile.never_link WHERE source = ANY($1::text[])",
            [ConsentStore.textArray(Array(sources))]
        ).rows {
            guard let s = row["source"], let p = row["source_person_id"], let patient = row["patient_id"] else {
                continue
            }
            rules[s + "\u{1F}" + p, default: []].insert(patient)
        }
        return rules
    }

    /// The open queue (undecided and deferred items): its size and the age of its oldest item in whole days at
    /// `now` (nil when empty). An item's age counts from the start of the run that first queued it.
    package func openStatistics(now: Date) throws -> ReviewQueueStatistics {
        let row = try connection.execute(
            """
            SELECT count(*) AS open,
                   min(extract(epoch FROM coalesce(r.started_at, q.created_at)))::float8 AS oldest
            FROM lastmile.review_queue q LEFT JOIN lastmile.run r ON r.run_id = q.run_id
            WHERE q.resolved_at IS NULL
            """
        ).rows.first
        let oldest = row?.double("oldest").map { Date(timeIntervalSince1970: $0) }
        return ReviewQueueStatistics(
            open: row?.int("open") ?? 0,
            oldestAgeDays: oldest.map { max(0, Int(now.timeIntervalSince($0) / 86_400)) })
    }
}

/// The open review queue's size and oldest age, for the run summary and the metrics file.
public struct ReviewQueueStatistics: Sendable, Codable, Equatable {
    /// Undecided and deferred items.
    public var open = 0
    /// Whole days since the oldest open item was queued; nil when the queue is empty.
    public var oldestAgeDays: Int?
    /// Held records deleted tonight: their items stayed undecided past `match.review_retention_days`.
    public var heldRecordsDeleted = 0

    public init(open: Int = 0, oldestAgeDays: Int? = nil, heldRecordsDeleted: Int = 0) {
        self.open = open
        self.oldestAgeDays = oldestAgeDays
        self.heldRecordsDeleted = heldRecordsDeleted
    }

    /// Reads a ledger row written before `heldRecordsDeleted` existed as 0 deleted.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        open = try c.decode(Int.self, forKey: .open)
        oldestAgeDays = try c.decodeIfPresent(Int.self, forKey: .oldestAgeDays)
        heldRecordsDeleted = try c.decodeIfPresent(Int.self, forKey: .heldRecordsDeleted) ?? 0
    }
}
