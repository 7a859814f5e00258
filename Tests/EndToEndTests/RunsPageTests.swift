// `lastmile runs --html`: three sample nights (LASTMILE_NOW on three days), then the page of the nights at a
// glance — per source rows read, rejections by reason, match outcome shares, the review backlog, flags — with
// the sources that went quiet listed at the top, accessible charts with table fallbacks, and mode 0600.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct RunsPageTests {
    static let nights = ["2026-11-20", "2026-11-21", "2026-11-22"]

    /// Runs the sample pipeline on three nights: all sources on the first; on the second only a part of
    /// Riverside's file again; on the third a Riverside file with one unreadable date. Returns the summaries.
    static func runThreeNights(_ workspace: SampleWorkspace, database url: String) throws -> [[String: Any]] {
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let sample = try String(contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
        let lines = sample.split(separator: "\n").map(String.init)
        var summaries: [[String: Any]] = []
        for (i, night) in nights.enumerated() {
            if i == 1 {
                try (lines.prefix(101).joined(separator: "\n") + "\n")
                    .write(
                        to: inbox.appendingPathComponent("attendance-2026-11-21.csv"), atomically: true, encoding: .utf8
                    )
            }
            if i == 2 {
                var rows = Array(lines.prefix(51))
                rows[50] = rows[50].replacingOccurrences(of: "2026-11-", with: "2026-13-")
                try (rows.joined(separator: "\n") + "\n")
                    .write(
                        to: inbox.appendingPathComponent("attendance-2026-11-22.csv"), atomically: true, encoding: .utf8
                    )
            }
            let result = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", night, "--database", url, "--summary-format", "json"],
                in: workspace.root, environment: ["LASTMILE_NOW": "\(night)T02:00:00Z"])
            #expect(result.status == 0, "\(night): \(result.stderr)")
            summaries.append(
                try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]))
        }
        return summaries
    }

    static func rowsRead(_ summary: [String: Any], _ source: String) -> Int? {
        (summary["sources"] as? [[String: Any]])?.first { $0["source"] as? String == source }?["rows_read"] as? Int
            ?? (summary["sources"] as? [[String: Any]])?.first { $0["source"] as? String == source }?["rowsRead"]
            as? Int
    }

    @Test func theNightsPageShowsEachSourcePerNightAndWhatWentQuiet() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let summaries = try Self.runThreeNights(workspace, database: url)
            let firstRiverside = try #require(Self.rowsRead(summaries[0], "riverside-usd"))
            let page = workspace.root.appendingPathComponent("reports/nights.html")
            let result = try LastMileBinary.run(
                ["runs", "--html", "reports/nights.html", "--nights", "3", "--database", url], in: workspace.root)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("3 night(s)"))
            let mode = try FileManager.default.attributesOfItem(atPath: page.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(html.contains("<h1>lastmile nights at a glance: 2026-11-20 to 2026-11-22</h1>"))
            #expect(
                html.contains(
                    "aria-label=\"Rows read per night by riverside-usd: 2026-11-20 \(firstRiverside), 2026-11-21 100, 2026-11-22 50\""
                ), "\(html.prefix(3000))")
            // The other sources sent nothing after the first night: listed as quiet, their columns marked.
            #expect(html.contains("<li>2026-11-21: lakeside-edfi went quiet: no rows read (0 new file(s))</li>"))
            #expect(html.contains("<li>2026-11-22: county-jail went quiet: no rows read (0 new file(s))</li>"))
            #expect(!html.contains("riverside-usd went quiet"))
            #expect(html.contains("class=\"quiet\""))
            // The glance table: one row per source, one cell per night, quiet cells marked.
            #expect(
                html.contains(
                    "<tr><th scope=\"row\">riverside-usd</th><td>\(firstRiverside)</td><td>100</td><td>50</td>"))
            #expect(html.contains("<tr><th scope=\"row\">county-jail</th><td>14</td><td class=\"quiet\">0</td>"))
            // Rejections by reason, in the chart and in the table.
            #expect(html.contains("Rejected rows of riverside-usd by reason"))
            #expect(html.contains("unparseable-date"))
            #expect(html.contains("<caption>riverside-usd: figures per night</caption>"))
            #expect(html.contains("Match outcome shares per night for riverside-usd"))
            #expect(html.contains("review backlog now"))
            let flagsCreated = try #require((summaries[0]["flags"] as? [String: Any])?["created"] as? Int)
            #expect(html.contains("<tr><th scope=\"row\">2026-11-20</th><td>\(flagsCreated)</td>"), "flags of night 1")
            #expect(html.components(separatedBy: "role=\"img\" aria-label=").count > 10)
            for external in ["<script", "src=", "href=", "url(", "@import"] { #expect(!html.contains(external)) }

            let two = try LastMileBinary.run(
                ["runs", "--html", "two.html", "--nights", "2", "--database", url], in: workspace.root)
            #expect(two.status == 0, "\(two.stderr)")
            let twoNights = try String(contentsOf: workspace.root.appendingPathComponent("two.html"), encoding: .utf8)
            #expect(twoNights.contains("2026-11-21 to 2026-11-22") && !twoNights.contains("2026-11-20"))
        }
    }
}
