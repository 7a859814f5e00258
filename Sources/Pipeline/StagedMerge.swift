import Foundation
import LastMileCore
import Logging
import Warehouse

/// A row's key as the warehouse compares it: up to three text fields compared by their UTF-8 bytes, and a date.
///
/// Swift's `String` equality is canonical equivalence (a precomposed and a decomposed "é" are equal), while
/// PostgreSQL's `text` key compares bytes, so de-duplication on the client must compare bytes too. Holds the
/// fields themselves (no buffer is built per row).
struct RowKey: Hashable {
    private let first: String
    private let second: String
    private let third: String
    private let day: Int

    init(_ first: String, _ second: String, _ third: String = "", date: CivilDate? = nil) {
        self.first = first
        self.second = second
        self.third = third
        self.day = date.map { $0.year * 10_000 + $0.month * 100 + $0.day } ?? -1
    }

    static func == (a: RowKey, b: RowKey) -> Bool {
        a.day == b.day && sameBytes(a.first, b.first) && sameBytes(a.second, b.second) && sameBytes(a.third, b.third)
    }

    func hash(into hasher: inout Hasher) {
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
        return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) } }
    }
}

/// Rows written and rewritten by one `StagedMerge`.
struct MergeCounts: Equatable {
    /// How the batch was written.
    var path = StagedMerge.Path.merge
    var inserted = 0
    var updated = 0
    /// Rewritten rows by the value of `StagedMerge.countUpdatedBy` after the rewrite.
    var updatedBy: [String: Int] = [:]
}

/// Writes a batch into a keyed `lastmile` table: the last row of a key wins, and a row whose compared values
/// did not change is not rewritten (so a repeated batch writes nothing).
///
/// The batch is de-duplicated by key on the client. When the table holds no row in any of the batch's
/// partitions (the values of `partitionColumn`, a key column; the whole table when it is nil) — a first night,
/// a new source's backfill — no row of the batch can conflict, and it is COPYed straight into the table.
/// Otherwise it is COPYed into a temporary staging table and merged with one
/// `INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM`. Both paths store the same rows.
/// - Important: call it inside the run's transaction, which holds the run's advisory lock: the emptiness check
///   then holds until commit. A writer outside the lock that added a conflicting key would make the COPY fail
///   on the primary key (and the run roll back), never be merged over silently.
struct StagedMerge {
    /// The table in schema `lastmile`.
    var table: String
    /// The columns the client writes, in the order the row writer appends them.
    var columns: [String]
    /// The primary key (a subset of `columns`).
    var key: [String]
    /// Non-key columns whose change rewrites a row; nil means every non-key column.
    var compared: [String]? = nil
    /// Columns set to the run id when a row is inserted.
    var runColumns: [String] = []
    /// Further assignments when a row is rewritten (`$1` is the run id), e.g. `run_id = $1`.
    var onUpdate: [String] = []
    /// A key column whose batch values decide the fast path; nil checks the whole table.
    var partitionColumn: String? = nil
    /// A column whose value after a rewrite splits `MergeCounts.updatedBy`.
    var countUpdatedBy: String? = nil

    /// How a batch was written.
    enum Path: String { case copy, merge }

    /// De-duplicates `rows` by `key`, then COPYs them into the table (nothing of the batch's partitions stored
    /// yet) or merges them through a staging table.
    /// - Parameters:
    ///   - rowKey: the row's key fields, in `key` order, as the row writer writes them.
    ///   - partition: the row's value of `partitionColumn`.
    ///   - alwaysMerge: skip the emptiness check and merge through staging (to compare the two paths).
    ///   - write: appends the row's `columns` (without ending the row).
    func run<Row>(
        _ rows: [Row], runId: Int64, connection: Connection, logger: Logger? = nil, alwaysMerge: Bool = false,
        rowKey: (Row) -> RowKey, partition: (Row) -> String = { _ in "" },
        write: (inout CopyWriter, Row) throws -> Void
    ) throws -> MergeCounts {
        guard !rows.isEmpty else { return MergeCounts() }
        let started = Date()
        let unique = Self.lastOfEachKey(rows, rowKey: rowKey)
        let deduplicated = Date()
        let path: Path
        if alwaysMerge {
            path = .merge
        } else {
            let partitions = partitionColumn == nil ? [] : Set(unique.map { partition(rows[$0]) }).sorted()
            path = try canCopyDirectly(partitions: partitions, connection: connection) ? .copy : .merge
        }
        var counts = MergeCounts(path: path)
        switch path {
        case .copy:
            counts.inserted = try copy(unique, of: rows, into: "lastmile.\(table)", runColumns: runColumns, runId: runId, connection: connection, write: write)
        case .merge:
            counts = try merge(unique, of: rows, runId: runId, connection: connection, write: write)
            counts.path = .merge
        }
        logger?.debug(
            "merged",
            metadata: [
                "table": "\(table)", "path": "\(path.rawValue)", "rows": "\(rows.count)", "rows.unique": "\(unique.count)",
                "rows.inserted": "\(counts.inserted)", "rows.updated": "\(counts.updated)",
                "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))",
                "seconds.dedup": "\(String(format: "%.3f", deduplicated.timeIntervalSince(started)))",
            ])
        return counts
    }

    /// Indices of the last row of each key, in batch order.
    static func lastOfEachKey<Row>(_ rows: [Row], rowKey: (Row) -> RowKey) -> [Int] {
        var last: [RowKey: Int] = [:]
        last.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() { last[rowKey(row)] = i }
        if last.count == rows.count { return Array(rows.indices) }
        return last.values.sorted()
    }

    /// True when no stored row shares a partition with the batch and COPY may write the table: PostgreSQL
    /// refuses `COPY FROM` into a table whose row-level security applies to the current role (the loader login
    /// and `lastmile.flag`).
    private func canCopyDirectly(partitions values: [String], connection: Connection) throws -> Bool {
        let stored =
            partitionColumn.map { "SELECT 1 FROM lastmile.\(table) WHERE \($0) = ANY($2::text[])" }
            ?? "SELECT 1 FROM lastmile.\(table)"
        var parameters: [any SQLParameter] = ["lastmile.\(table)"]
        if partitionColumn != nil { parameters.append(ConsentStore.textArray(values)) }
        return try connection.execute(
            "SELECT NOT row_security_active($1::text::regclass) AND NOT EXISTS (\(stored))", parameters
        ).scalar == "t"
    }

    private func copy<Row>(
        _ indices: [Int], of rows: [Row], into target: String, runColumns: [String], runId: Int64,
        connection: Connection, write: (inout CopyWriter, Row) throws -> Void
    ) throws -> Int {
        let columnList = (columns + runColumns).joined(separator: ", ")
        return try connection.withCopy("COPY \(target) (\(columnList)) FROM STDIN") { writer in
            for i in indices {
                try write(&writer, rows[i])
                for _ in runColumns { try writer.append(Int(runId)) }
                try writer.endRow()
            }
        }
    }

    private func merge<Row>(
        _ indices: [Int], of rows: [Row], runId: Int64, connection: Connection,
        write: (inout CopyWriter, Row) throws -> Void
    ) throws -> MergeCounts {
        let stage = "stage_\(table)"
        let columnList = columns.joined(separator: ", ")
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.\(stage);
                CREATE TEMP TABLE \(stage) ON COMMIT DROP AS SELECT \(columnList) FROM lastmile.\(table) WITH NO DATA;
                """)
        _ = try copy(indices, of: rows, into: stage, runColumns: [], runId: runId, connection: connection, write: write)
        let nonKey = columns.filter { !key.contains($0) }
        let compared = self.compared ?? nonKey
        let keyList = key.joined(separator: ", ")
        let assignments = nonKey.map { "\($0) = EXCLUDED.\($0)" } + onUpdate
        let grouping = countUpdatedBy.map { "t.\($0)" } ?? "NULL::text"
        // Rows are unique by key (de-duplicated above), as ON CONFLICT DO UPDATE requires.
        let result = try connection.execute(
            """
            WITH upserted AS (
                INSERT INTO lastmile.\(table) AS t (\(columnList)\(runColumns.map { ", " + $0 }.joined()))
                SELECT \(columnList)\(String(repeating: ", $1::bigint", count: runColumns.count)) FROM \(stage)
                ON CONFLICT (\(keyList)) DO UPDATE SET \(assignments.joined(separator: ", "))
                WHERE (\(compared.map { "t.\($0)" }.joined(separator: ", ")))
                    IS DISTINCT FROM (\(compared.map { "EXCLUDED.\($0)" }.joined(separator: ", ")))
                RETURNING (xmax = 0) AS inserted, \(grouping) AS grouping
            )
            SELECT inserted, grouping, count(*) AS n FROM upserted GROUP BY inserted, grouping
            """, runColumns.isEmpty && onUpdate.isEmpty ? [] : [runId])
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.\(stage)")
        var counts = MergeCounts()
        for row in result.rows {
            let n = row.int("n") ?? 0
            if row.bool("inserted") == true {
                counts.inserted += n
            } else {
                counts.updated += n
                if let value = row["grouping"] { counts.updatedBy[value, default: 0] += n }
            }
        }
        return counts
    }
}
