import Foundation
import LastMileCore
import Logging
import Warehouse

/// A row's key as the warehouse compares it: up to three text fields compared by their UTF-8 bytes, and a date.
///
/// Swift's `String` equality is canonical equivalence (a precomposed and a decomposed "é" are equal), while
/// PostgreSQL's `text` key compares bytes, so de-duplication on the client must compare bytes too. Holds the
/// fields themselves (no buffer is built per row).
package struct RowKey: Hashable {
    private let first: String
    private let second: String
    private let third: String
    private let day: Int

    package init(_ first: String, _ second: String, _ third: String = "", date: CivilDate? = nil) {
        self.first = first
        self.second = second
        self.third = third
        self.day = date.map { $0.year * 10_000 + $0.month * 100 + $0.day } ?? -1
    }

    package static func == (a: RowKey, b: RowKey) -> Bool {
        a.day == b.day && sameBytes(a.first, b.first) && sameBytes(a.second, b.second) && sameBytes(a.third, b.third)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(day)
        func combine(_ field: String) {
            var field = field
            field.withUTF8 { bytes in
                hasher.combine(bytes.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
        }
        combine(first)
        combine(second)
        combine(third)
    }

    private static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
            }
        }
    }
}

/// Rows written and rewritten by one `StagedMerge`.
package struct MergeCounts: Equatable {
    /// How the batch was written.
    package var path = StagedMerge.Path.merge
    /// Whether a key appeared more than once in the batch (its last row won).
    package var repeatedKeys = false
    package var inserted = 0
    package var updated = 0
    /// Rows of the batch (one per key) identical to the stored row, so not rewritten.
    package var unchanged = 0
    /// Rewritten rows by the value of `StagedMerge.countUpdatedBy` after the rewrite.
    package var updatedBy: [String: Int] = [:]
}

/// Writes a batch into a keyed `lastmile` table: the last row of a key wins, and a row whose compared values
/// did not change is not rewritten (so a repeated batch writes nothing).
///
/// The batch is de-duplicated by key on the client. When the table holds no row in any of the batch's
/// partitions (the values of `partitionColumn`, a key column; the whole table when it is nil) — a first night,
/// a new source's backfill — no row of the batch can conflict, and it is COPYed straight into the table.
/// Otherwise it is COPYed into a temporary staging table, the staged rows identical to their stored row are
/// dropped by one join, and the rest are merged with one `INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT
/// FROM`. Both paths store the same rows.
/// - Important: call it inside the run's transaction, which holds the run's advisory lock: the emptiness check
///   then holds until commit. A writer outside the lock that added a conflicting key would make the COPY fail
///   on the primary key (and the run roll back), never be merged over silently.
package struct StagedMerge {
    /// The table in schema `lastmile`.
    package var table: String
    /// The columns the client writes, in the order the row writer appends them.
    package var columns: [String]
    /// The primary key (a subset of `columns`).
    package var key: [String]
    /// Non-key columns whose change rewrites a row; nil means every non-key column.
    package var compared: [String]? = nil
    /// Columns set to the run id when a row is inserted.
    package var runColumns: [String] = []
    /// Further assignments when a row is rewritten (`$1` is the run id), e.g. `run_id = $1`.
    package var onUpdate: [String] = []
    /// A key column whose batch values decide the fast path; nil checks the whole table.
    package var partitionColumn: String? = nil
    /// A column whose value after a rewrite splits `MergeCounts.updatedBy`.
    package var countUpdatedBy: String? = nil
    /// The table is partitioned (migration 12): PostgreSQL 15 returns no system column from it, so inserted rows
    /// are told from rewritten ones by counting the staged keys already stored, not by `xmax`. Not with
    /// `countUpdatedBy`.
    package var partitioned = false
    /// A non-key, non-compared column holding the row's content hash (`RowHash`, event tables): a stored row
    /// found unchanged takes the staged row's hash when its own differs (none yet, or cleared by another
    /// writer), so a later batch can skip it; the row counts as unchanged.
    package var hashColumn: String? = nil

    /// How a batch was written.
    package enum Path: String { case copy, merge }

    /// De-duplicates `rows` by `key`, then COPYs them into the table (nothing of the batch's partitions stored
    /// yet) or merges them through a staging table.
    /// - Parameters:
    ///   - rowKey: the row's key fields, in `key` order, as the row writer writes them.
    ///   - partition: the row's value of `partitionColumn`.
    ///   - alwaysMerge: skip the emptiness check and merge through staging (to compare the two paths).
    ///   - write: appends the row's `columns` (without ending the row).
    package func run<Row>(
        _ rows: [Row], runId: Int64, connection: Connection, logger: Logger? = nil, alwaysMerge: Bool = false,
        rowKey: (Row) -> RowKey, partition: (Row) -> String = { _ in "" },
        write: (inout CopyWriter, Row) throws -> Void
    ) throws -> MergeCounts {
        guard !rows.isEmpty else { return MergeCounts() }
        let started = ContinuousClock.now
        let path: Path
        if alwaysMerge {
            path = .merge
        } else {
            path =
                try canCopyDirectly(partitions: distinctPartitions(rows, partition), connection: connection)
                ? .copy : .merge
        }
        let counts =
            switch path {
            case .copy: try copyDirectly(rows, runId: runId, connection: connection, rowKey: rowKey, write: write)
            case .merge:
                try mergeThroughStaging(
                    rows.indices, of: rows, runId: runId, connection: connection, rowKey: rowKey, write: write)
            }
        logger?.debug(
            "merged",
            metadata: [
                "table": "\(table)", "path": "\(path.rawValue)", "rows": .number(rows.count),
                "keys.repeated": .stringConvertible(counts.repeatedKeys),
                "rows.inserted": .number(counts.inserted), "rows.updated": .number(counts.updated),
                "seconds": .seconds((ContinuousClock.now - started).seconds),
            ])
        return counts
    }

    /// Of `indices` into `rows`, those of the last row of each key, in batch order.
    package static func lastOfEachKey<Row>(_ indices: [Int], of rows: [Row], rowKey: (Row) -> RowKey) -> [Int] {
        var last: [RowKey: Int] = [:]
        last.reserveCapacity(indices.count)
        for i in indices { last[rowKey(rows[i])] = i }
        return last.values.sorted()
    }

    /// The batch's distinct partition values, compared as bytes (rows usually come grouped by partition).
    private func distinctPartitions<Row>(_ rows: [Row], _ partition: (Row) -> String) -> [String] {
        guard partitionColumn != nil else { return [] }
        var seen: Set<[UInt8]> = []
        var values: [String] = []
        var previous: String?
        for row in rows {
            let value = partition(row)
            if let previous, previous.utf8.elementsEqual(value.utf8) { continue }
            previous = value
            if seen.insert(Array(value.utf8)).inserted { values.append(value) }
        }
        return values
    }

    /// True when no stored row shares a partition with the batch and COPY may write the table.
    private func canCopyDirectly(partitions values: [String], connection: Connection) throws -> Bool {
        guard let partitionColumn else { return try connection.canCopyStraightIn("lastmile.\(table)") }
        return try connection.canCopyStraightIn(
            "lastmile.\(table)", holdingNoRowWhere: "\(partitionColumn) = ANY($2::text[])",
            [ConsentStore.textArray(values)])
    }

    /// Streams the rows at `indices` into `target`, the first row of each key only; returns the indices of the
    /// rows whose key was already sent (a row corrected within the same batch), in batch order.
    ///
    /// Keys are checked while the server stores what was already sent, not in a pass of their own before the
    /// COPY: repeated keys are rare, so they are set aside and applied afterwards.
    private func stream<Row>(
        _ indices: some Sequence<Int>, of rows: [Row], into target: String, withRunColumns: Bool, runId: Int64,
        seen: inout Set<RowKey>, connection: Connection, rowKey: (Row) -> RowKey,
        write: (inout CopyWriter, Row) throws -> Void
    ) throws -> [Int] {
        let runColumns = withRunColumns ? self.runColumns : []
        let columnList = (columns + runColumns).joined(separator: ", ")
        var repeated: [Int] = []
        try connection.withCopy("COPY \(target) (\(columnList)) FROM STDIN") { writer in
            for i in indices {
                guard seen.insert(rowKey(rows[i])).inserted else {
                    repeated.append(i)
                    continue
                }
                try write(&writer, rows[i])
                for _ in runColumns { try writer.append(Int(runId)) }
                try writer.endRow()
            }
        }
        return repeated
    }

    /// The fast path: COPY into the table itself. Every key of the batch is new, so each counts as inserted.
    private func copyDirectly<Row>(
        _ rows: [Row], runId: Int64, connection: Connection, rowKey: (Row) -> RowKey,
        write: (inout CopyWriter, Row) throws -> Void
    ) throws -> MergeCounts {
        var seen = Set<RowKey>(minimumCapacity: rows.count)
        let repeated = try stream(
            rows.indices, of: rows, into: "lastmile.\(table)", withRunColumns: true, runId: runId, seen: &seen,
            connection: connection, rowKey: rowKey, write: write)
        if !repeated.isEmpty {
            // The first row of each key is stored; the last row of each repeated key is merged over it, so the
            // last row wins as on the merge path.
            let last = Self.lastOfEachKey(repeated, of: rows, rowKey: rowKey)
            _ = try mergeThroughStaging(
                last, of: rows, runId: runId, connection: connection, rowKey: rowKey, write: write)
        }
        var counts = MergeCounts(path: .copy)
        counts.inserted = seen.count
        counts.repeatedKeys = !repeated.isEmpty
        return counts
    }

    /// COPY into a temporary staging table, then one `INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM`.
    private func mergeThroughStaging<Row>(
        _ indices: some Sequence<Int>, of rows: [Row], runId: Int64, connection: Connection,
        rowKey: (Row) -> RowKey, write: (inout CopyWriter, Row) throws -> Void
    ) throws -> MergeCounts {
        let stage = "stage_\(table)"
        let columnList = columns.joined(separator: ", ")
        /// A temporary table with the written columns of the target, empty.
        func createStaging(_ name: String) throws {
            try connection.execute(
                unsafeSQL: """
                    DROP TABLE IF EXISTS pg_temp.\(name);
                    CREATE TEMP TABLE \(name) ON COMMIT DROP AS SELECT \(columnList) FROM lastmile.\(table) WITH NO DATA;
                    """)
        }
        try createStaging(stage)
        var seen = Set<RowKey>(minimumCapacity: indices.underestimatedCount)
        var counts = MergeCounts(path: .merge)
        let repeated = try stream(
            indices, of: rows, into: stage, withRunColumns: false, runId: runId, seen: &seen, connection: connection,
            rowKey: rowKey, write: write)
        let nonKey = columns.filter { !key.contains($0) }
        if !repeated.isEmpty {
            // The staged row of a repeated key takes the values of its last row.
            counts.repeatedKeys = true
            let last = Self.lastOfEachKey(repeated, of: rows, rowKey: rowKey)
            try createStaging("\(stage)_last")
            var lastSeen = Set<RowKey>(minimumCapacity: last.count)
            _ = try stream(
                last, of: rows, into: "\(stage)_last", withRunColumns: false, runId: runId, seen: &lastSeen,
                connection: connection, rowKey: rowKey, write: write)
            try connection.execute(
                unsafeSQL: """
                    UPDATE \(stage) s SET \(nonKey.map { "\($0) = l.\($0)" }.joined(separator: ", "))
                    FROM \(stage)_last l WHERE \(key.map { "s.\($0) = l.\($0)" }.joined(separator: " AND "));
                    DROP TABLE pg_temp.\(stage)_last;
                    """)
        }
        let compared = self.compared ?? nonKey
        let unchanged = try dropUnchanged(stage, compared: compared, staged: seen.count, connection: connection)
        let keyList = key.joined(separator: ", ")
        let assignments = nonKey.map { "\($0) = EXCLUDED.\($0)" } + onUpdate
        let grouping = countUpdatedBy.map { "t.\($0)" } ?? "NULL::text"
        let stored = partitioned ? try storedKeys(stage, connection: connection) : nil
        // Staged rows are unique by key, as ON CONFLICT DO UPDATE requires.
        let result = try connection.execute(
            """
            WITH upserted AS (
                INSERT INTO lastmile.\(table) AS t (\(columnList)\(runColumns.map { ", " + $0 }.joined()))
                SELECT \(columnList)\(String(repeating: ", $1::bigint", count: runColumns.count)) FROM \(stage)
                ON CONFLICT (\(keyList)) DO UPDATE SET \(assignments.joined(separator: ", "))
                WHERE (\(compared.map { "t.\($0)" }.joined(separator: ", ")))
                    IS DISTINCT FROM (\(compared.map { "EXCLUDED.\($0)" }.joined(separator: ", ")))
                RETURNING \(partitioned ? "NULL::boolean" : "(xmax = 0)") AS inserted, \(grouping) AS grouping
            )
            SELECT inserted, grouping, count(*) AS n FROM upserted GROUP BY inserted, grouping
            """, runColumns.isEmpty && onUpdate.isEmpty ? [] : [runId])
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.\(stage)")
        for row in result.rows {
            let n = row.int("n") ?? 0
            if row.bool("inserted") == true {
                counts.inserted += n
            } else {
                counts.updated += n
                if let value = row["grouping"] { counts.updatedBy[value, default: 0] += n }
            }
        }
        if let stored {
            // Every returned row was written; the keys not stored before were inserted.
            let written = counts.updated
            counts.inserted = seen.count - unchanged - stored
            counts.updated = written - counts.inserted
        }
        counts.unchanged = max(0, seen.count - counts.inserted - counts.updated)
        return counts
    }

    /// Deletes the staged rows identical to their stored row (same key, same `compared` values) by one join, and
    /// returns how many. A re-sent file is mostly such rows; left to the upsert, each would cost a row lock (a
    /// heap write and a WAL record per stored row: `ON CONFLICT DO UPDATE` locks the conflicting row before it
    /// evaluates its `WHERE`), for nothing written.
    private func dropUnchanged(_ stage: String, compared: [String], staged: Int, connection: Connection) throws
        -> Int
    {
        if staged >= 10_000 {
            // A temporary table has no statistics until analysed: the planner then guesses the join's sizes.
            try connection.execute(unsafeSQL: "ANALYZE pg_temp.\(stage)")
        }
        let matches = key.map { "t.\($0) = s.\($0)" }
        let same =
            compared.isEmpty
            ? []
            : [
                "(\(compared.map { "t.\($0)" }.joined(separator: ", "))) IS NOT DISTINCT FROM "
                    + "(\(compared.map { "s.\($0)" }.joined(separator: ", ")))"
            ]
        if let hashColumn {
            let stale = "t.\(hashColumn) IS DISTINCT FROM s.\(hashColumn)"
            try connection.execute(
                unsafeSQL: """
                    UPDATE lastmile.\(table) t SET \(hashColumn) = s.\(hashColumn) FROM \(stage) s
                    WHERE \((matches + same + [stale]).joined(separator: " AND "))
                    """)
        }
        let result = try connection.execute(
            """
            WITH dropped AS (
                DELETE FROM \(stage) s USING lastmile.\(table) t
                WHERE \((matches + same).joined(separator: " AND ")) RETURNING 1
            )
            SELECT count(*) FROM dropped
            """)
        return Int(result.scalar ?? "") ?? 0
    }

    /// How many of the staged rows' keys the table already holds (before the upsert of a partitioned table).
    private func storedKeys(_ stage: String, connection: Connection) throws -> Int {
        let matches = key.map { "t.\($0) = s.\($0)" }.joined(separator: " AND ")
        return Int(
            try connection.execute(
                "SELECT count(*) FROM \(stage) s WHERE EXISTS (SELECT 1 FROM lastmile.\(table) t WHERE \(matches))"
            ).scalar ?? "") ?? 0
    }
}

extension Connection {
    /// True when `table` (schema-qualified) holds no row (or none where `condition`, whose parameters are `$2` …)
    /// and COPY may write it: PostgreSQL refuses `COPY FROM` into a table whose row-level security applies to the
    /// current role (the loader login and `lastmile.flag`). A first load then goes straight into the table.
    /// - Important: call it inside the transaction that loads, after taking the lock that serialises loads.
    func canCopyStraightIn(
        _ table: String, holdingNoRowWhere condition: String? = nil, _ parameters: [any SQLParameter] = []
    ) throws -> Bool {
        let stored = "SELECT 1 FROM \(table)" + (condition.map { " WHERE \($0)" } ?? "")
        return try execute(
            "SELECT NOT row_security_active($1::text::regclass) AND NOT EXISTS (\(stored))", [table] + parameters
        ).scalar == "t"
    }
}
