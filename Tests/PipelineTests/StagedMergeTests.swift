// The load's keyed merge against a real PostgreSQL: the last row of a key wins on both paths, keys compare as
// bytes, the COPY fast path is taken only for partitions the table holds nothing of, and a merge rewrites only
// changed rows.
import Foundation
import LastMileCore
import Testing
import Warehouse

@testable import Pipeline
@testable import Store

@Suite struct StagedMergeTests {
    struct Row {
        var source: String
        var id: String
        var day: CivilDate
        var value: String?
    }

    static func probe(_ table: String) -> StagedMerge {
        StagedMerge(
            table: table, columns: ["source", "id", "day", "value"], key: ["source", "id", "day"],
            runColumns: ["run_id"], onUpdate: ["run_id = $1"], partitionColumn: "source")
    }

    static func create(_ table: String, _ db: Connection) throws {
        try db.execute(
            unsafeSQL: """
                CREATE TABLE lastmile.\(table) (
                    source text NOT NULL, id text NOT NULL, day date NOT NULL, value text, run_id bigint NOT NULL,
                    PRIMARY KEY (source, id, day))
                """)
    }

    static func write(_ table: String, _ rows: [Row], runId: Int64, alwaysMerge: Bool = false, _ db: Connection) throws
        -> MergeCounts
    {
        try db.withTransaction {
            try probe(table).run(
                rows, runId: runId, connection: db, alwaysMerge: alwaysMerge,
                rowKey: { RowKey($0.source, $0.id, date: $0.day) }, partition: { $0.source }
            ) { w, row in
                try w.append(row.source)
                try w.append(row.id)
                try w.append(row.day)
                try w.append(row.value)
            }
        }
    }

    let day = CivilDate(iso: "2026-11-20")!
    let nextDay = CivilDate(iso: "2026-11-21")!

    @Test func lastRowOfAKeyWinsAndBothPathsStoreTheSameRows() throws {
        try withMigratedDatabase { db in
            try Self.create("probe_copy", db)
            try Self.create("probe_merge", db)
            let precomposed = "Jos\u{E9}"
            let decomposed = "Jose\u{301}"
            #expect(precomposed == decomposed)  // equal as Swift strings, distinct keys in PostgreSQL
            let batch = [
                Row(source: "a", id: "1", day: day, value: "first"),
                Row(source: "a", id: "2", day: day, value: nil),
                Row(source: "a", id: "1", day: nextDay, value: "other day"),
                Row(source: "a", id: precomposed, day: day, value: "precomposed"),
                Row(source: "a", id: decomposed, day: day, value: "decomposed"),
                Row(source: "a", id: "1", day: day, value: "re-sent"),
                Row(source: "b", id: "1", day: day, value: "b\tb\\b"),
            ]
            let copied = try Self.write("probe_copy", batch, runId: 1, db)
            let merged = try Self.write("probe_merge", batch, runId: 1, alwaysMerge: true, db)
            #expect(copied.path == .copy && merged.path == .merge)
            #expect(copied.repeatedKeys && merged.repeatedKeys)
            #expect(copied.inserted == 6 && merged.inserted == 6 && copied.updated == 0 && merged.updated == 0)
            let stored = try dump(db, "lastmile.probe_copy", orderBy: "source, id, day")
            #expect(stored == (try dump(db, "lastmile.probe_merge", orderBy: "source, id, day")))
            #expect(stored.count == 6)
            let one = try db.execute(
                "SELECT value FROM lastmile.probe_copy WHERE source = 'a' AND id = '1' AND day = '2026-11-20'")
            #expect(one.scalar == "re-sent")
            let accents = try db.execute(
                "SELECT value FROM lastmile.probe_copy WHERE id IN ($1, $2) ORDER BY value", [precomposed, decomposed])
            #expect(accents.rows.map { $0["value"] } == ["decomposed", "precomposed"])
        }
    }

    @Test func laterBatchMergesOnlyChangesAndANewPartitionIsCopied() throws {
        try withMigratedDatabase { db in
            try Self.create("probe", db)
            let first = [
                Row(source: "a", id: "1", day: day, value: "x"), Row(source: "a", id: "2", day: day, value: "y"),
            ]
            #expect(try Self.write("probe", first, runId: 1, db).path == .copy)
            // Re-sent with one correction (itself corrected later in the batch) and one new row: the table holds
            // partition "a" now, so it merges.
            let second = [
                Row(source: "a", id: "1", day: day, value: "x"), Row(source: "a", id: "2", day: day, value: "wrong"),
                Row(source: "a", id: "3", day: day, value: "new"),
                Row(source: "a", id: "2", day: day, value: "corrected"),
            ]
            let merged = try Self.write("probe", second, runId: 2, db)
            #expect(merged.path == .merge && merged.inserted == 1 && merged.updated == 1 && merged.repeatedKeys)
            let runs = try db.execute("SELECT id, value, run_id FROM lastmile.probe ORDER BY id").rows.map { $0.values }
            #expect(runs == [["1", "x", "1"], ["2", "corrected", "2"], ["3", "new", "2"]])
            // The same batch again writes nothing.
            let again = try Self.write("probe", second, runId: 3, db)
            #expect(again.inserted == 0 && again.updated == 0)
            // A source the table holds nothing of (a new district's backfill) goes straight in.
            let backfill = try Self.write("probe", [Row(source: "b", id: "1", day: day, value: "z")], runId: 4, db)
            #expect(backfill.path == .copy && backfill.inserted == 1)
            // A batch touching a stored and a new partition merges.
            let mixed = [
                Row(source: "b", id: "2", day: day, value: nil), Row(source: "c", id: "1", day: day, value: nil),
            ]
            #expect(try Self.write("probe", mixed, runId: 5, db).path == .merge)
            #expect(try db.execute("SELECT count(*) FROM lastmile.probe").scalar == "6")
        }
    }

    /// A re-sent batch (the following night's attendance file) is mostly rows already stored unchanged: they must
    /// cost no write at all. `ON CONFLICT DO UPDATE … WHERE` locks each conflicting row before its `WHERE` is
    /// evaluated, which stamps the row's `xmax` (a page write per stored row); an unchanged row must keep xmax 0.
    @Test func reSentUnchangedRowsAreNeitherRewrittenNorLocked() throws {
        try withMigratedDatabase { db in
            try Self.create("probe", db)
            let first = (1...50).map { Row(source: "a", id: "\($0)", day: day, value: $0 % 7 == 0 ? nil : "v\($0)") }
            #expect(try Self.write("probe", first, runId: 1, db).path == .copy)
            var second = first
            second[9].value = "corrected"
            second.append(Row(source: "a", id: "51", day: day, value: "new"))
            let merged = try Self.write("probe", second, runId: 2, db)
            #expect(merged.path == .merge)
            #expect(merged.inserted == 1 && merged.updated == 1 && merged.unchanged == 49)
            let touched = try db.execute(
                "SELECT id, value FROM lastmile.probe WHERE run_id = 2 ORDER BY id"
            ).rows.map { $0.values }
            #expect(touched == [["10", "corrected"], ["51", "new"]])
            let locked = try db.execute(
                "SELECT count(*) FROM lastmile.probe WHERE run_id = 1 AND xmax <> '0'::xid"
            ).scalar
            #expect(locked == "0")
            #expect(try db.execute("SELECT count(*) FROM lastmile.probe").scalar == "51")
        }
    }
}
