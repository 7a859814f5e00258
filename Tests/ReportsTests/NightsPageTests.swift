// The nights page in memory: which nights and sources it lists as needing a look (failed, quiet after having
// had rows, many rejections, a review backlog), and that a night whose runs all failed is said to be so.
import Foundation
import Reports
import Testing

@Suite struct NightsPageTests {
    static func source(rows: Int, rejected: Int = 0, failed: Bool = false) -> NightsOverview.SourceNight {
        var s = NightsOverview.SourceNight()
        s.files = rows > 0 ? 1 : 0
        s.rowsRead = rows
        if rejected > 0 { s.rejected = ["unparseable-date": rejected] }
        s.matched = rows - rejected
        s.failed = failed
        return s
    }

    static func night(
        _ asOf: String, runs: Int = 1, failedRuns: Int = 0, _ sources: [String: NightsOverview.SourceNight]
    )
        -> NightsOverview.Night
    {
        var n = NightsOverview.Night(asOf: asOf)
        n.runs = runs
        n.failedRuns = failedRuns
        n.sources = sources
        return n
    }

    @Test func theAttentionListNamesWhatWentWrongNewestFirst() {
        let overview = NightsOverview(
            nights: [
                Self.night("2026-11-20", ["a": Self.source(rows: 100), "b": Self.source(rows: 0)]),
                Self.night("2026-11-21", ["a": Self.source(rows: 100, rejected: 6), "b": Self.source(rows: 0)]),
                Self.night("2026-11-22", ["a": Self.source(rows: 0, failed: true), "b": Self.source(rows: 0)]),
                Self.night("2026-11-23", runs: 2, failedRuns: 2, [:]),
            ], reviewBacklog: ["a": 3])
        let html = NightsPage.html(overview)
        let expected = [
            "2026-11-23: every run failed; nothing was committed",
            "2026-11-22: a FAILED: an input was unusable, nothing of it was loaded",
            "2026-11-21: a rejected 6.0% of its rows",
            "a: 3 match(es) waiting in the review queue",
        ]
        let items = html.components(separatedBy: "<li>").dropFirst().map { $0.components(separatedBy: "</li>")[0] }
        #expect(items == expected)
        // b never had rows: not "quiet", but its cells are marked in the glance table.
        #expect(!html.contains("b went quiet"))
        #expect(html.contains("<tr><th scope=\"row\">a</th><td>100</td><td>100</td><td class=\"quiet\">failed</td>"))
    }

    static func matching(matched: Int, unmatched: Int) -> NightsOverview.SourceNight {
        var s = source(rows: matched + unmatched)
        s.matched = matched
        s.unmatched = unmatched
        return s
    }

    /// A night whose matched share of a source fell sharply against the nights before is marked and listed.
    @Test func aSharpDropInTheMatchedShareIsMarked() {
        let overview = NightsOverview(
            nights: [
                Self.night("2026-11-20", ["a": Self.matching(matched: 80, unmatched: 20)]),
                Self.night("2026-11-21", ["a": Self.matching(matched: 70, unmatched: 30)]),
                Self.night("2026-11-22", ["a": Self.matching(matched: 40, unmatched: 60)]),
            ], reviewBacklog: [:])
        let html = NightsPage.html(overview)
        let items = html.components(separatedBy: "<li>").dropFirst().map { $0.components(separatedBy: "</li>")[0] }
        #expect(items == ["2026-11-22: a matched 40.0% of its records, down from 75.0% over the nights before"])
        #expect(html.contains("<td class=\"quiet\">40 (40.0%) ⚠ dropped</td>"), "\(html)")
        #expect(html.contains("matched last night<b class=\"warn\">40.0%</b>"))
        // A smaller dip (70% after 80%) is not marked.
        #expect(html.contains("<td>70 (70.0%)</td>"))
        #expect(html.components(separatedBy: "dropped").count == 2)
    }

    @Test func noRunsYetIsSaid() {
        let html = NightsPage.html(NightsOverview(nights: [], reviewBacklog: [:]))
        #expect(html.contains("No runs in the ledger yet."))
    }
}
