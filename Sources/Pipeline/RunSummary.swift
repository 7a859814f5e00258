import Foundation
import LastMileCore
import Store

/// What happened to the rows of one source in one run. Every row read, and every held record a review decision
/// released, ends in exactly one bucket:
/// `rowsRead + releasedFromReview == rejected + consentDropped + unmatched + review + deniedAfterMatch + loaded`.
public struct SourceRunCounts: Sendable, Codable, Equatable {
    public var source: String
    public var files = 0
    public var filesSkipped = 0
    /// Inputs modified within `input_settle_seconds` (an upload still under way), left for the next run.
    public var filesUnsettled = 0
    public var rowsRead = 0
    /// Rows quarantined by the extractor, by reason code.
    public var rejected: [String: Int] = [:]
    /// Records dropped by gate 1 (agreement, labels), by consent reason code.
    public var consentDropped: [String: Int] = [:]
    public var unmatched = 0
    public var review = 0
    /// Records held in review on an earlier night that a reviewer's accept (or a later link) released tonight;
    /// they pass gate 2 and are loaded or denied like tonight's records.
    public var releasedFromReview = 0
    /// Records whose matched patient's directives deny them (gate 2), by consent reason code.
    public var deniedAfterMatch: [String: Int] = [:]
    public var loaded = 0
    /// Of the loaded and denied records: how many were linked through the source crosswalk (no re-matching).
    public var linkedByCrosswalk = 0
    public var eventsInserted = 0
    public var eventsUpdated = 0
    /// Loaded records identical to the stored row (nothing rewritten).
    public var eventsUnchanged = 0
    /// Stored events the newest file of a full snapshot (`snapshot: full`) no longer lists, removed.
    public var eventsRetired = 0
    /// Stored events a reprocessed file produced before and no longer produces, removed.
    public var eventsRemoved = 0
    /// Inputs the source's pattern matched tonight (read, skipped, unsettled or refused).
    public var filesMatched = 0
    /// Inputs already loaded and read again (`run --reprocess`, `files forget`).
    public var filesReprocessed = 0
    /// Days since the source's newest loaded file, when no new file was read tonight; nil otherwise.
    public var feedAgeDays: Int?
    /// What a data engineer should look at although the source loaded: no new input, a mapped column missing,
    /// a file much shorter than the previous one. File names, column headers and counts only.
    public var warnings: [String] = []

    public init(source: String) { self.source = source }

    public static func sum(_ d: [String: Int]) -> Int { d.values.reduce(0, +) }

    /// Whether every row read is accounted for in exactly one bucket.
    public var isBalanced: Bool {
        rowsRead + releasedFromReview
            == Self.sum(rejected) + Self.sum(consentDropped) + unmatched + review + Self.sum(deniedAfterMatch) + loaded
    }
}

/// The outcome of a run, as printed, stored in the ledger and written to the metrics file.
public struct RunSummary: Sendable, Codable, Equatable {
    public var runId: Int64?
    public var pipeline: String
    public var asOf: String
    public var dryRun: Bool
    public var sources: [SourceRunCounts] = []
    public var flags = FlagCounts()
    /// The review queue after the run: open items (undecided and deferred) and the oldest one's age.
    public var reviewQueue = ReviewQueueStatistics()
    public var reference: [String: Int] = [:]
    /// What the sources' `retention_school_years` removed tonight; nil when no source has the setting.
    public var retention: RetentionCounts?
    public var seconds: Double = 0
    /// Per-stage elapsed seconds.
    public var stageSeconds: [String: Double] = [:]
    /// Inputs not read because they are not regular files (a symbolic link, a FIFO …), each naming the file
    /// and why; the others were loaded, and the command then exits 79 (`InputsRefused`).
    public var refusedInputs: [String] = []
    /// Sources that failed tonight (an unusable input): nothing of them was written, their files are retried
    /// by the next run; the other sources committed, and the command then exits 79 (`SourcesFailed`).
    public var failedSources: [FailedSource] = []

    /// Whether the night committed without all of its inputs: a source failed or an input was refused.
    public var isPartial: Bool { !failedSources.isEmpty || !refusedInputs.isEmpty }

    public var isBalanced: Bool { sources.allSatisfy(\.isBalanced) }

    /// The human-readable summary printed at the end of a run (counts only, no personal data).
    public func rendered() -> String {
        var lines: [String] = []
        let id = runId.map { "run \($0)" } ?? "dry run"
        lines.append("\(id): pipeline \(pipeline), as of \(asOf)\(dryRun ? " (dry run: nothing was committed)" : "")")
        let failed = Dictionary(failedSources.map { ($0.source, $0.message) }, uniquingKeysWith: { a, _ in a })
        for s in sources {
            lines.append("")
            if let message = failed[s.source] {
                lines.append("source \(s.source): FAILED, nothing of it was loaded (the next run retries its files)")
                lines.append("  " + message)
                lines += s.warnings.map { "  warning: " + $0 }
                continue
            }
            lines.append(
                "source \(s.source): \(s.files) file(s) read, \(s.filesSkipped) already loaded and skipped"
                    + (s.filesReprocessed > 0 ? ", \(s.filesReprocessed) loaded again (reprocessed)" : "")
                    + (s.filesUnsettled > 0 ? ", \(s.filesUnsettled) still being written (left for the next run)" : ""))
            lines += s.warnings.map { "  warning: " + $0 }
            lines.append("  rows read            \(s.rowsRead)")
            lines.append("  rejected             \(SourceRunCounts.sum(s.rejected))" + Self.detail(s.rejected))
            lines.append(
                "  consent gate 1 drop  \(SourceRunCounts.sum(s.consentDropped))" + Self.detail(s.consentDropped))
            lines.append("  unmatched            \(s.unmatched)")
            lines.append("  sent to review       \(s.review)")
            if s.releasedFromReview > 0 {
                lines.append("  released from review \(s.releasedFromReview) (held records of accepted items)")
            }
            lines.append(
                "  consent gate 2 deny  \(SourceRunCounts.sum(s.deniedAfterMatch))" + Self.detail(s.deniedAfterMatch))
            lines.append(
                "  loaded               \(s.loaded) (\(s.linkedByCrosswalk) via crosswalk; events \(s.eventsInserted) new, \(s.eventsUpdated) corrected, \(s.eventsUnchanged) unchanged)"
            )
            if s.eventsRetired > 0 || s.eventsRemoved > 0 {
                lines.append(
                    "  events removed       \(s.eventsRetired) retired (no longer in the full snapshot), "
                        + "\(s.eventsRemoved) no longer produced by a reprocessed file")
            }
            lines.append(
                "  balance              " + (s.isBalanced ? "ok: every row is in exactly one bucket" : "MISMATCH"))
        }
        if !refusedInputs.isEmpty {
            lines.append("")
            lines.append("inputs refused (not read; move a regular file into the inbox instead):")
            lines += refusedInputs.map { "  " + $0 }
        }
        if !reference.isEmpty {
            lines.append("")
            lines.append(
                "reference data: "
                    + reference.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let retention {
            lines.append("")
            lines.append(
                "retention: \(retention.partitionsDropped) school-year partition(s) dropped "
                    + "(\(retention.rowsDropped) rows), \(retention.rowsDeleted) rows of expired sources deleted")
        }
        lines.append("")
        lines.append(
            "review queue: \(reviewQueue.open) open"
                + (reviewQueue.oldestAgeDays.map { ", oldest \($0) day(s)" } ?? "")
                + " (lastmile review list); held records deleted: \(reviewQueue.heldRecordsDeleted)")
        lines.append(
            "flags: \(flags.created) created, \(flags.updated) updated, \(flags.closed) closed; \(flags.active) active in the warehouse"
        )
        let stages = stageSeconds.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))s" }
        lines.append(
            String(format: "time: %.2f s", seconds)
                + (stages.isEmpty ? "" : " (" + stages.joined(separator: ", ") + ")"))
        return lines.joined(separator: "\n")
    }

    /// The summary as one JSON object on one line (`lastmile run --summary-format json`): the keys the ledger
    /// stores in `lastmile.run.counts` (counts as JSON numbers, seconds as numbers) plus `balanced`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(JSONDocument(summary: self)), as: UTF8.self)
    }

    /// The summary's own keys and `balanced`, in one object.
    private struct JSONDocument: Encodable {
        let summary: RunSummary
        enum Key: String, CodingKey { case balanced }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(summary.isBalanced, forKey: .balanced)
        }
    }

    private static func detail(_ d: [String: Int]) -> String {
        d.isEmpty
            ? "" : "  (" + d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }
}

/// A source that failed in a run: an unusable input (its `InputError`, which names the file and never a value).
public struct FailedSource: Sendable, Codable, Equatable {
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }
}

/// Some sources failed (an unusable input) and were not loaded; the others were loaded and committed: exit 79.
public struct SourcesFailed: ClassifiedError, CustomStringConvertible {
    public var sources: [FailedSource]
    public init(sources: [FailedSource]) { self.sources = sources }
    public var exitStatus: ExitStatus { .partialFailure }
    public var description: String {
        "\(sources.count) source(s) failed and were not loaded (the other sources committed; the next run retries "
            + "their files): " + sources.map { "\($0.source): \($0.message)" }.joined(separator: "; ")
    }
}

/// Some inputs were not regular files and were not read; the others were loaded and committed: exit 79.
public struct InputsRefused: ClassifiedError, CustomStringConvertible {
    /// Each refused input, naming the file and why.
    public var inputs: [String]
    public init(inputs: [String]) { self.inputs = inputs }
    public var exitStatus: ExitStatus { .partialFailure }
    public var description: String {
        "\(inputs.count) input(s) not read (not regular files): " + inputs.joined(separator: "; ")
    }
}
