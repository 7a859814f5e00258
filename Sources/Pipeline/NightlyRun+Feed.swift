import Extractors
import Foundation
import LastMileCore
import Store

extension RunState {
    /// When the source read no new file tonight: notes it (and that its pattern matched nothing) and how old
    /// its newest loaded file is; returns the source's failure when that is more than `max_feed_age_days`.
    /// A source with a file still being written, or that never loaded a file, is only warned about.
    func checkFeedAge(_ source: SourceConfig, read: SourceRead, counts: inout SourceRunCounts, ingested: IngestedFiles)
        throws -> FailedSource?
    {
        guard read.files.allSatisfy({ $0.0.reprocess }) else { return nil }
        let pattern = source.input ?? ""
        if counts.filesMatched == 0 { counts.warnings.append("no input matches \(pattern)") }
        guard counts.filesUnsettled == 0 else { return nil }
        guard let newest = try ingested.newest(source: source.name) else {
            counts.warnings.append("no new input, and no file of this source was ever loaded")
            return nil
        }
        let days = Int(options.clock.now.timeIntervalSince(newest.loadedAt) / 86_400)
        counts.feedAgeDays = max(0, days)
        let maximum = source.feed.maxFeedAgeDays
        guard days > maximum else {
            // A file loaded again tonight (`files forget`, --reprocess) is input: the summary's "loaded again"
            // says so, and "no new input" beside it would contradict it.
            if counts.filesMatched > 0 && read.files.isEmpty {
                counts.warnings.append(
                    "no new input; the newest loaded file (\(newest.fileName)) is \(days) day(s) old")
            }
            return nil
        }
        let message =
            "no new input for \(days) day(s), more than max_feed_age_days \(maximum) (newest loaded file: "
            + "\(newest.fileName)); "
            + (counts.filesMatched == 0 ? "no input matches \(pattern)" : "every input was loaded before")
        logger.error(
            "source failed for this run: its feed stopped",
            metadata: ["source": "\(source.name)", "feed.age_days": .number(days)])
        return FailedSource(source: source.name, message: message)
    }

    /// Warns about each new file whose rows fall below `min_row_share` of the previous file's (the newest
    /// loaded before it, or the one read before it tonight). Reprocessed files are not compared.
    func checkRowCounts(
        _ source: SourceConfig, read: SourceRead, counts: inout SourceRunCounts, ingested: IngestedFiles
    )
        throws
    {
        var previous = try ingested.newest(source: source.name).map { (name: $0.fileName, rows: $0.rowsRead) }
        let share = source.feed.minRowShare
        for (ready, sink) in read.files where !ready.reprocess {
            let rows = sink.recordCount + sink.rejections.count
            if let previous, previous.rows > 0, Double(rows) < share * Double(previous.rows) {
                counts.warnings.append(
                    "\(ready.file.name): \(rows) rows, fewer than \(Int((share * 100).rounded())) % of the previous "
                        + "file's \(previous.rows) (\(previous.name)); check the feed (min_row_share)")
            }
            previous = (ready.file.name, rows)
        }
    }
}
