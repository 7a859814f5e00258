import Foundation
import LastMileCore
import Warehouse

/// A school year as the warehouse partitions by it: July 1 to June 30, named by the year it starts in.
public struct SchoolYear: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The calendar year of its July 1.
    public var startYear: Int

    public init(startYear: Int) { self.startYear = startYear }

    /// The school year `date` falls in.
    public init(containing date: CivilDate) { startYear = date.month >= 7 ? date.year : date.year - 1 }

    /// Its first day (July 1).
    public var firstDay: CivilDate { CivilDate(dayNumber: Self.julyFirst(startYear)) }
    /// The first day of the next school year (exclusive end).
    public var nextFirstDay: CivilDate { CivilDate(dayNumber: Self.julyFirst(startYear + 1)) }

    /// `2025-26`.
    public var description: String { "\(startYear)-\(String(format: "%02d", (startYear + 1) % 100))" }

    public static func < (a: SchoolYear, b: SchoolYear) -> Bool { a.startYear < b.startYear }

    private static func julyFirst(_ year: Int) -> Int {
        CivilDate(year: year, month: 7, day: 1).map(\.dayNumber) ?? 0
    }
}

/// What one night's retention removed, as the run summary and the ledger record it (counts only).
public struct RetentionCounts: Sendable, Codable, Equatable {
    /// Whole school-year partitions dropped (every source with rows in them allowed it).
    public var partitionsDropped = 0
    /// The rows those partitions held.
    public var rowsDropped = 0
    /// Rows deleted by source, from partitions that a source keeping them shares.
    public var rowsDeleted = 0

    public init() {}
}

/// The event tables partitioned by school year (migration 12): partitions created before a load writes a year,
/// and whole years dropped by retention.
///
/// Both go through the schema owner's functions (`lastmile.ensure_school_year_partition`,
/// `lastmile.drop_school_year_partition`): the loader owns no table. Creating attaches a new table (the parent
/// is locked `SHARE UPDATE EXCLUSIVE`, beside other runs' reads and writes); dropping locks the parent
/// `ACCESS EXCLUSIVE` until the transaction ends, so a concurrent run of another source waits for this one, once
/// per table and school year.
package struct SchoolYearPartitions {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// The partitioned tables and their partition column (a date, part of the primary key).
    package static let tables: [(table: String, column: String)] = [
        ("attendance_day", "attendance_date"), ("bed_night", "night"),
    ]

    /// The school years `table` has a partition for.
    package func years(of table: String) throws -> Set<Int> {
        let names = try connection.execute(
            """
            SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = ('lastmile.' || $1)::regclass
            """, [table]
        ).rows.compactMap { $0["relname"] }
        let prefix = "\(table)_sy"
        return Set(names.compactMap { $0.hasPrefix(prefix) ? Int($0.dropFirst(prefix.count)) : nil })
    }

    /// Creates the partitions of `table` missing for `years`; returns how many it created.
    @discardableResult
    package func ensure(_ table: String, years: Set<Int>) throws -> Int {
        let missing = years.subtracting(try self.years(of: table))
        var created = 0
        for year in missing.sorted() {
            let result = try connection.execute(
                "SELECT lastmile.ensure_school_year_partition($1, $2::integer)", [table, year])
            if result.scalar == "t" { created += 1 }
        }
        return created
    }

    /// Creates, in every partitioned table, the partitions of the school year of `asOf` and of the next one.
    /// The nightly run calls it in a short transaction of its own before its long one, so that an ordinary night
    /// creates no partition (and locks no parent exclusively) while it holds the sources' rows.
    package func ensureCurrent(asOf: CivilDate) throws {
        let current = SchoolYear(containing: asOf).startYear
        for (table, _) in Self.tables { try ensure(table, years: [current, current + 1]) }
    }

    /// Applies the sources' retention: of each partitioned table, a school year older than what a source keeps
    /// loses that source's rows: the whole partition is dropped when every source with rows in it lets the year
    /// go, and otherwise only the rows of the sources in `deleting` are deleted.
    /// - Parameters:
    ///   - firstKept: per source with a retention setting, the first school year it keeps; a source missing here
    ///     (no setting, or not configured at all) keeps every year, so a partition holding its rows is never
    ///     dropped.
    ///   - deleting: the sources whose rows may be deleted one by one (tonight's sources, which this run locks).
    package func applyRetention(firstKept: [String: SchoolYear], deleting: Set<String>) throws -> RetentionCounts {
        var counts = RetentionCounts()
        guard !firstKept.isEmpty else { return counts }
        for (table, column) in Self.tables {
            for startYear in try years(of: table).sorted() {
                let year = SchoolYear(startYear: startYear)
                let expired = firstKept.filter { year < $0.value }.map(\.key).sorted()
                guard !expired.isEmpty else { continue }
                let range = "\(column) >= $1::date AND \(column) < $2::date"
                let bounds: [any SQLParameter] = [year.firstDay.description, year.nextFirstDay.description]
                // Through the primary key (source first): no scan unless an expired source has rows here.
                let hasExpired = try connection.execute(
                    "SELECT EXISTS (SELECT 1 FROM lastmile.\(table) WHERE source = ANY($3::text[]) AND \(range))",
                    bounds + [ConsentStore.textArray(expired)]
                ).scalar
                guard hasExpired == "t" else { continue }
                let present = try connection.execute(
                    "SELECT DISTINCT source FROM lastmile.\(table) WHERE \(range)", bounds
                ).rows.compactMap { $0["source"] }
                if Set(present).isSubset(of: Set(expired)) {
                    let held = try connection.execute(
                        "SELECT lastmile.drop_school_year_partition($1, $2::integer)", [table, startYear])
                    counts.partitionsDropped += 1
                    counts.rowsDropped += Int(held.scalar ?? "0") ?? 0
                    continue
                }
                for source in present where expired.contains(source) && deleting.contains(source) {
                    counts.rowsDeleted +=
                        try connection.execute(
                            "DELETE FROM lastmile.\(table) WHERE source = $3 AND \(range)", bounds + [source]
                        ).affectedRows ?? 0
                }
            }
        }
        return counts
    }
}
