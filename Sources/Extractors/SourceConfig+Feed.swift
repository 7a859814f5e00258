import LastMileCore
import YAMLConfig
import Yams

/// What a source's deliveries are expected to look like, and what each file is (the keys `snapshot`,
/// `max_feed_age_days` and `min_row_share` of a source config).
///
/// ```yaml
/// snapshot: full          # each file is the whole current list (default delta: each file adds and corrects)
/// max_feed_age_days: 3    # a source without a new file for longer fails for the night (default 3)
/// min_row_share: 0.5      # a file with fewer rows than this share of the previous file's is a warning
/// retention_school_years: 3   # keep this school year and the 2 before it (default: keep every year)
/// ```
public struct FeedExpectations: Sendable, Hashable {
    /// Whether a file adds to what the source sent before (`delta`) or is the whole current list (`full`).
    public var snapshot: SnapshotKind = .delta
    /// Days without a new file after which the source fails for the night.
    public var maxFeedAgeDays = 3
    /// The share of the previous file's rows below which a file's row count is a warning.
    public var minRowShare = 0.5
    /// How many school years (July 1 – June 30) of the source's attendance days and bed nights the warehouse
    /// keeps, the current one included; nil keeps every year (docs/scaling.md, "Retention").
    public var retentionSchoolYears: Int?

    public init(snapshot: SnapshotKind = .delta, maxFeedAgeDays: Int = 3, minRowShare: Double = 0.5) {
        self.snapshot = snapshot
        self.maxFeedAgeDays = maxFeedAgeDays
        self.minRowShare = minRowShare
    }

    /// The config keys read here.
    static let keys = ["snapshot", "max_feed_age_days", "min_row_share", "retention_school_years"]

    /// Reads the keys from the config's top-level mapping, reporting a wrong value without defaulting it.
    static func read(_ top: ConfigMapping, _ reader: inout YAMLConfigReader) -> FeedExpectations {
        var feed = FeedExpectations()
        if let snapshot: SnapshotKind = reader.enumValue(top["snapshot"], "snapshot") { feed.snapshot = snapshot }
        if let days = reader.int(
            top["max_feed_age_days"], "max_feed_age_days", in: 1...366, expected: "a whole number of days, 1 to 366")
        {
            feed.maxFeedAgeDays = days
        }
        if let share = reader.double(
            top["min_row_share"], "min_row_share", in: 0...1, expected: "a share between 0 and 1, e.g. 0.5")
        {
            feed.minRowShare = share
        }
        feed.retentionSchoolYears = reader.int(
            top["retention_school_years"], "retention_school_years", in: 1...100,
            expected: "a whole number of school years, 1 to 100 (the current one included)")
        return feed
    }
}

/// What one input file of a source is.
public enum SnapshotKind: String, Sendable, Hashable, CaseIterable {
    /// New and corrected records only: what a file does not mention stays as it was.
    case delta
    /// The whole current list: a record the newest file no longer lists is retired.
    case full
}
