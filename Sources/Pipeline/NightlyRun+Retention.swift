import Extractors
import LastMileCore
import Logging
import Store

extension RunState {
    /// Drops the school years the sources' `retention_school_years` no longer keep (docs/scaling.md,
    /// "Retention"), counted from the run's as-of date (the injected clock), never the database's.
    ///
    /// Every source of the pipeline states what it keeps (a partition holding rows of a source without the
    /// setting is never dropped); rows are deleted one source at a time only for tonight's sources.
    /// - Returns: nil when no source of the pipeline has the setting.
    func applyRetention(running: [SourceConfig]) throws -> RetentionCounts? {
        let current = SchoolYear(containing: options.asOf)
        var firstKept: [String: SchoolYear] = [:]
        for source in config.sources {
            guard let years = source.feed.retentionSchoolYears else { continue }
            firstKept[source.name] = SchoolYear(startYear: current.startYear - years + 1)
        }
        guard !firstKept.isEmpty else { return nil }
        let counts = try SchoolYearPartitions(connection: connection).applyRetention(
            firstKept: firstKept, deleting: Set(running.map(\.name)))
        if counts.partitionsDropped > 0 || counts.rowsDeleted > 0 {
            logger.info(
                "retention removed school years no source keeps",
                metadata: [
                    "partitions.dropped": .number(counts.partitionsDropped),
                    "rows.dropped": .number(counts.rowsDropped), "rows.deleted": .number(counts.rowsDeleted),
                ])
        }
        return counts
    }
}
