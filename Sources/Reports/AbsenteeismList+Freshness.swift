import LastMileCore

/// How recent one source's attendance data is on the day a list is made.
///
/// A source is a district's feed (`riverside-usd`); its date is the newest attendance day stored for it. The
/// list's week is the reporting week and never this date.
public struct SourceFreshness: Sendable, Hashable {
    /// The source name, as flags and attendance rows record it.
    public var source: String
    /// The newest attendance date stored for the source; nil when it has none.
    public var dataThrough: CivilDate?
    /// Days from `dataThrough` to the day the list is made; nil when there is no data.
    public var daysOld: Int?
    /// Whether the data is older than the pipeline's `stale_after_days` (or missing).
    public var isStale: Bool

    /// A source as given, already judged.
    public init(source: String, dataThrough: CivilDate?, daysOld: Int? = nil, isStale: Bool) {
        self.source = source
        self.dataThrough = dataThrough
        self.daysOld = daysOld
        self.isStale = isStale
    }

    /// Judges `dataThrough` on `madeOn`: stale when missing or more than `staleAfterDays` days old.
    public init(source: String, dataThrough: CivilDate?, madeOn: CivilDate, staleAfterDays: Int) {
        self.source = source
        self.dataThrough = dataThrough
        daysOld = dataThrough.map { $0.days(until: madeOn) }
        isStale = daysOld.map { $0 > staleAfterDays } ?? true
    }

    /// "attendance data through 2026-11-20 (source riverside-usd)", or that there is none.
    public var statement: String {
        guard let dataThrough else { return "no attendance data (source \(source))" }
        return "attendance data through \(dataThrough) (source \(source))"
    }

    /// The CSV cell: "2026-11-20 (riverside-usd)", or "none (riverside-usd)".
    public var csvCell: String { "\(dataThrough?.description ?? "none") (\(source))" }

    /// The warning a stale source puts on a list.
    public var warning: String {
        guard let dataThrough, let daysOld else {
            return "Warning: no attendance data from \(source); this list may be out of date."
        }
        return "Warning: attendance data from \(source) ends \(dataThrough) (\(daysOld) days before this list "
            + "was made); absences since then are not counted."
    }
}

extension AbsenteeismList {
    /// The sources the list's rows come from, each once, in name order.
    public var rowSources: [String] { Array(Set(rows.map(\.source))).sorted() }

    /// The freshness of the sources whose data is on the list, from `all` (every source's); an empty list
    /// keeps every source of `all`, since missing data could be why it is empty.
    public func freshness(from all: [SourceFreshness]) -> [SourceFreshness] {
        guard !rows.isEmpty else { return all.sorted { $0.source < $1.source } }
        let known = Dictionary(all.map { ($0.source, $0) }, uniquingKeysWith: { a, _ in a })
        return rowSources.map { known[$0] ?? SourceFreshness(source: $0, dataThrough: nil, isStale: true) }
    }

    /// The sources on the list whose data is older than `stale_after_days`.
    public var staleSources: [SourceFreshness] { dataFreshness.filter(\.isStale) }
}
