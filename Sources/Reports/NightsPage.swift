import Foundation
import LastMileCore

/// What the run ledger says about the last nights, per source: the input of `NightsPage`. Counts only.
public struct NightsOverview: Sendable, Equatable {
    /// One source on one night, summed over the night's committed runs.
    public struct SourceNight: Sendable, Equatable {
        public var files = 0
        public var filesSkipped = 0
        public var rowsRead = 0
        /// Rows quarantined by the extractor, by reason code.
        public var rejected: [String: Int] = [:]
        /// Records dropped by the source agreement (consent gate 1), before matching.
        public var consentDropped = 0
        /// Records matched to a patient (loaded, or denied by the patient's consent after matching, gate 2).
        /// `rowsRead` = rejected + consentDropped + matched + review + unmatched.
        public var matched = 0
        public var review = 0
        public var unmatched = 0
        /// True when the source failed that night (an unusable input): nothing of it was loaded.
        public var failed = false

        public init() {}

        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
        /// Records that reached matching.
        public var matchable: Int { matched + review + unmatched }
    }

    /// One night (run date): its runs, its sources and the flags it changed.
    public struct Night: Sendable, Equatable {
        public var asOf: String
        public var runs = 0
        /// Runs that ended without committing anything.
        public var failedRuns = 0
        /// Of `failedRuns`, those whose process died while they ran (killed, the machine went down).
        public var interruptedRuns = 0
        public var sources: [String: SourceNight] = [:]
        public var flagsCreated = 0
        public var flagsClosed = 0
        /// Active flags in the warehouse after the night's last committed run; nil when none committed.
        public var flagsActive: Int?

        public init(asOf: String) { self.asOf = asOf }
    }

    /// Oldest night first.
    public var nights: [Night]
    /// Open review-queue entries per source, now.
    public var reviewBacklog: [String: Int]

    public init(nights: [Night], reviewBacklog: [String: Int]) {
        self.nights = nights
        self.reviewBacklog = reviewBacklog
    }

    /// Every source seen on any night or in the backlog, sorted.
    public var sourceNames: [String] {
        Set(nights.flatMap { $0.sources.keys }).union(reviewBacklog.keys).sorted()
    }
}

/// `lastmile runs --html`: the last nights at a glance, one self-contained page (inline CSS and SVG). Per source:
/// rows read per night (a night without rows stands out), the match outcome shares, rejections by reason and
/// the review backlog; then flags created and closed per night. Every chart has an accessible name and a table
/// with the same figures follows it. Counts and source names only.
public enum NightsPage {
    /// A night is flagged when more than this share of its rows was rejected.
    public static let rejectedWarning = 0.05
    /// A source's night is flagged when its matched share is this much (absolute) below its share over the
    /// previous nights shown, with at least `matchDropMinimum` records reaching matching that night.
    public static let matchDropWarning = 0.15
    public static let matchDropMinimum = 20

    public static func html(_ overview: NightsOverview) -> String {
        let range = overview.nights.first.map { first in "\(first.asOf) to \(overview.nights.last?.asOf ?? "")" }
        let title = "lastmile nights at a glance" + (range.map { ": \($0)" } ?? "")
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<title>\(HTML.escape(title))</title><style>\(SVGChart.css)\(css)</style></head><body>\n"
        out += "<h1>\(HTML.escape(title))</h1>\n"
        guard !overview.nights.isEmpty else {
            return out + "<p>No runs in the ledger yet.</p>\n</body></html>\n"
        }
        out += attention(overview) + glance(overview)
        for source in overview.sourceNames { out += section(source, overview) }
        out += flags(overview)
        out += "<footer>From the run ledger (lastmile.run) and the review queue; counts and source names only."
        out += "</footer>\n</body></html>\n"
        return out
    }

    private static let css = """
        .matched{fill:#59a14f}.review{fill:#f28e2b}.unmatched{fill:#9aa5b1}.quiet{fill:#e15759}.inbar{fill:#fff}
        .created{fill:#4e79a7}.closed{fill:#9aa5b1}table{border-collapse:collapse;margin:6px 0 12px}
        th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th{white-space:nowrap}
        td.quiet{background:#fde8e7;color:#b42318;font-weight:600}th[scope=row],caption{text-align:left}
        caption{font-weight:600;padding:4px 0}.legend span{display:inline-block;margin-right:14px}
        """

    // MARK: Sections

    /// What went wrong or quiet, newest night first; "nothing to look at" when all is well.
    static func attention(_ overview: NightsOverview) -> String {
        var items: [String] = []
        for night in overview.nights.reversed() {
            if night.runs > 0, night.failedRuns == night.runs {
                items.append("\(night.asOf): every run failed; nothing was committed")
            }
            if night.interruptedRuns > 0 {
                items.append(
                    "\(night.asOf): \(night.interruptedRuns) run(s) interrupted: the process ended before the run "
                        + "finished; nothing of it was committed")
            }
            for source in overview.sourceNames {
                items += sourceAlerts(source, night, overview).map { "\(night.asOf): \(source) \($0)" }
            }
        }
        for (source, open) in overview.reviewBacklog.sorted(by: { $0.key < $1.key }) where open > 0 {
            items.append("\(source): \(open) match(es) waiting in the review queue")
        }
        let list =
            items.isEmpty
            ? "<p class=\"ok\">Nothing to look at.</p>"
            : "<ul>" + items.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        return "<section aria-labelledby=\"attention\"><h2 id=\"attention\">Needs a look</h2>\(list)</section>\n"
    }

    /// Rows read per source (rows) and night (columns): the whole week in one table, quiet cells marked.
    static func glance(_ overview: NightsOverview) -> String {
        var out = "<table><caption>Rows read per source and night (a marked cell: no rows, or the source failed)"
        out += "</caption><thead><tr><th scope=\"col\">source</th>"
        out += overview.nights.map { "<th scope=\"col\">\(HTML.escape($0.asOf))</th>" }.joined()
        out += "<th scope=\"col\">review backlog</th></tr></thead><tbody>"
        for source in overview.sourceNames {
            out += "<tr><th scope=\"row\">\(HTML.escape(source))</th>"
            for night in overview.nights {
                let counts = night.sources[source]
                let quiet = (counts?.rowsRead ?? 0) == 0 || counts?.failed == true
                let text = counts?.failed == true ? "failed" : String(counts?.rowsRead ?? 0)
                out += "<td\(quiet ? " class=\"quiet\"" : "")>\(text)</td>"
            }
            out += "<td>\(overview.reviewBacklog[source] ?? 0)</td></tr>"
        }
        return out + "</tbody></table>\n"
    }

    /// A source's alerts on one night: failed, quiet (no rows while another night had some), many rejections.
    static func sourceAlerts(_ source: String, _ night: NightsOverview.Night, _ overview: NightsOverview) -> [String] {
        guard night.runs > night.failedRuns else { return [] }
        let counts = night.sources[source]
        if counts?.failed == true { return ["FAILED: an input was unusable, nothing of it was loaded"] }
        let everHadRows = overview.nights.contains { ($0.sources[source]?.rowsRead ?? 0) > 0 }
        guard let counts, counts.rowsRead > 0 else {
            return everHadRows ? ["went quiet: no rows read (\(counts?.files ?? 0) new file(s))"] : []
        }
        let share = Double(counts.rejectedTotal) / Double(counts.rowsRead)
        var alerts = share > rejectedWarning ? ["rejected \(SVGChart.percent(share)) of its rows"] : []
        if let drop = matchDrop(source, night, overview) {
            alerts.append(
                "matched \(SVGChart.percent(drop.now)) of its records, down from \(SVGChart.percent(drop.before)) "
                    + "over the nights before")
        }
        return alerts
    }

    /// The source's matched share on `night` and over the earlier nights shown, when it dropped by more than
    /// `matchDropWarning`; nil otherwise (or with too few records that night, or no earlier night to compare).
    static func matchDrop(_ source: String, _ night: NightsOverview.Night, _ overview: NightsOverview)
        -> (now: Double, before: Double)?
    {
        guard let counts = night.sources[source], !counts.failed, counts.matchable >= matchDropMinimum else {
            return nil
        }
        let earlier = overview.nights.prefix { $0.asOf != night.asOf }.compactMap { $0.sources[source] }
            .filter { !$0.failed }
        let matchable = earlier.map(\.matchable).reduce(0, +)
        guard matchable > 0 else { return nil }
        let before = Double(earlier.map(\.matched).reduce(0, +)) / Double(matchable)
        let now = Double(counts.matched) / Double(counts.matchable)
        return before - now > matchDropWarning ? (now, before) : nil
    }

    static func section(_ source: String, _ overview: NightsOverview) -> String {
        let id =
            "source-"
            + String(source.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "-" })
        var out = "<section aria-labelledby=\"\(HTML.escape(id))\"><h2 id=\"\(HTML.escape(id))\">"
        out += "\(HTML.escape(source))</h2>\n"
        let nights = overview.nights.map { (night: $0, counts: $0.sources[source] ?? .init()) }
        let last = nights.last
        var cards = [
            SVGChart.card(
                "rows last night", String(last?.counts.rowsRead ?? 0), warn: (last?.counts.rowsRead ?? 0) == 0)
        ]
        if let l = last?.counts, let lastNight = last?.night, l.matchable > 0 {
            cards.append(
                SVGChart.card(
                    "matched last night", SVGChart.percent(Double(l.matched) / Double(l.matchable)),
                    warn: matchDrop(source, lastNight, overview) != nil))
        }
        let backlog = overview.reviewBacklog[source] ?? 0
        cards.append(SVGChart.card("review backlog now", String(backlog), warn: backlog > 0))
        out += "<div class=\"cards\">" + cards.joined() + "</div>\n"

        out += "<h3>Rows read per night</h3>\n"
        out += SVGChart.columns(
            nights.map { n in
                SVGChart.Bar(
                    label: shortDate(n.night.asOf), value: Double(n.counts.rowsRead), text: String(n.counts.rowsRead),
                    style: n.counts.rowsRead == 0 || n.counts.failed ? "quiet" : "bar")
            },
            label: "Rows read per night by \(source): "
                + nights.map { "\($0.night.asOf) \($0.counts.rowsRead)" }.joined(separator: ", "))
        out +=
            "<h3>Match outcome per night</h3>\n"
            + legend([("matched", "matched"), ("review", "review"), ("unmatched", "unmatched")])
        out += SVGChart.stacked(
            nights.map { n in
                let c = n.counts
                let parts = [("matched", c.matched), ("review", c.review), ("unmatched", c.unmatched)].map {
                    name, value in
                    SVGChart.Bar(
                        label: name, value: Double(value),
                        text: c.matchable == 0 ? "0" : SVGChart.percent(Double(value) / Double(c.matchable)),
                        style: name)
                }
                return (label: n.night.asOf, parts: parts)
            }, label: "Match outcome shares per night for \(source)")
        let reasons = Dictionary(nights.flatMap { $0.counts.rejected.map { ($0.key, $0.value) } }, uniquingKeysWith: +)
        if !reasons.isEmpty {
            out += "<h3>Rejected rows by reason, over the nights</h3>\n"
            out += SVGChart.bars(
                reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                    SVGChart.Bar(label: $0.key, value: Double($0.value), text: String($0.value), style: "unmapped")
                }, label: "Rejected rows of \(source) by reason", compact: true)
        }
        out += table(source, nights, overview)
        return out + "</section>\n"
    }

    /// The figures of a source's charts, one row per night; a matched share that dropped is marked.
    static func table(
        _ source: String, _ nights: [(night: NightsOverview.Night, counts: NightsOverview.SourceNight)],
        _ overview: NightsOverview
    ) -> String {
        var out = "<table><caption>\(HTML.escape(source)): figures per night</caption><thead><tr>"
        for head in ["night", "new files", "rows read", "rejected", "consent gate 1", "matched", "review", "unmatched"]
        {
            out += "<th scope=\"col\">\(head)</th>"
        }
        out += "</tr></thead><tbody>"
        for (night, c) in nights {
            let share = { (n: Int) in
                c.matchable == 0 ? "\(n)" : "\(n) (\(SVGChart.percent(Double(n) / Double(c.matchable))))"
            }
            let reasons = c.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let cells = [
                c.failed ? "failed" : String(c.files), String(c.rowsRead),
                String(c.rejectedTotal) + (reasons.isEmpty ? "" : " (\(reasons))"), String(c.consentDropped),
                share(c.matched), share(c.review), share(c.unmatched),
            ]
            let dropped = matchDrop(source, night, overview) != nil
            out += "<tr><th scope=\"row\">\(HTML.escape(night.asOf))</th>"
            out +=
                cells.enumerated().map { i, text in
                    // The matched cell (index 4) of a night whose share dropped: marked, and said in words.
                    i == 4 && dropped
                        ? "<td class=\"quiet\">\(HTML.escape(text)) ⚠ dropped</td>" : "<td>\(HTML.escape(text))</td>"
                }.joined() + "</tr>"
        }
        return out + "</tbody></table>\n"
    }

    static func flags(_ overview: NightsOverview) -> String {
        var out = "<section aria-labelledby=\"flags\"><h2 id=\"flags\">Flags</h2>\n"
        out += legend([("created", "created"), ("closed", "closed")])
        out += SVGChart.stacked(
            overview.nights.map { n in
                (
                    label: n.asOf,
                    parts: [
                        SVGChart.Bar(
                            label: "created", value: Double(n.flagsCreated), text: String(n.flagsCreated),
                            style: "created"),
                        SVGChart.Bar(
                            label: "closed", value: Double(n.flagsClosed), text: String(n.flagsClosed), style: "closed"),
                    ]
                )
            }, label: "Flags created and closed per night")
        out += "<table><caption>Flags per night</caption><thead><tr><th scope=\"col\">night</th>"
        out +=
            "<th scope=\"col\">created</th><th scope=\"col\">closed</th><th scope=\"col\">active after</th></tr></thead><tbody>"
        for n in overview.nights {
            out +=
                "<tr><th scope=\"row\">\(HTML.escape(n.asOf))</th><td>\(n.flagsCreated)</td><td>\(n.flagsClosed)</td>"
            out += "<td>\(n.flagsActive.map(String.init) ?? "–")</td></tr>"
        }
        return out + "</tbody></table></section>\n"
    }

    // MARK: Helpers

    private static func legend(_ items: [(style: String, label: String)]) -> String {
        "<p class=\"legend\" aria-hidden=\"true\">"
            + items.map {
                "<span><svg width=\"10\" height=\"10\"><rect class=\"\($0.style)\" width=\"10\" height=\"10\"/></svg> \(HTML.escape($0.label))</span>"
            }
            .joined() + "</p>\n"
    }

    /// `11-20` of `2026-11-20`, for the columns' labels.
    private static func shortDate(_ iso: String) -> String { iso.count == 10 ? String(iso.suffix(5)) : iso }
}
