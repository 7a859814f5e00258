// Clerical review through the built binary on the sample night: the run reports the queue (summary and
// metrics), list and show mask personal data, personal data needs --by, decisions need --by and --note, the
// export is a private file, and the next run loads an accepted item's held records.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct ReviewCommandTests {
    let nightNow = ["LASTMILE_NOW": "2026-11-21T02:00:00Z"]
    let reviewNow = ["LASTMILE_NOW": "2026-11-23T09:00:00Z"]

    @Test func reviewerWorksTheQueueAndTheNextRunLoadsTheAcceptedItem() throws {
        let workspace = try SampleWorkspace()
        let metrics = workspace.root.appendingPathComponent("nightly.prom")
        try TestDatabase.withFreshDatabase { url in
            func lastmile(_ arguments: [String], night: Bool = false) throws -> CommandResult {
                try LastMileBinary.run(
                    arguments + ["--database", url], in: workspace.root, environment: night ? nightNow : reviewNow)
            }
            let night = try lastmile(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--metrics-file", metrics.path], night: true)
            #expect(night.status == 0, "\(night.stderr)")
            let open = try #require(Self.openCount(night.stdout), "\(night.stdout)")
            #expect(open > 0)
            let prom = try String(contentsOf: metrics, encoding: .utf8)
            #expect(prom.contains("lastmile_review_open_items{pipeline=\"nightly\"} \(open)\n"), "\(prom)")
            #expect(prom.contains("lastmile_review_oldest_age_days{pipeline=\"nightly\"} 0\n"))

            let list = try lastmile(["review", "list", "--oldest"])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("open review items: \(open)"))
            #expect(list.stdout.contains("2-7 days \(open)"), "\(list.stdout)")
            let id = try #require(Self.firstItemId(list.stdout), "\(list.stdout)")

            let masked = try lastmile(["review", "show", id])
            #expect(masked.status == 0, "\(masked.stderr)")
            #expect(masked.stdout.contains("personal values masked"))
            #expect(!masked.stdout.contains("source person "))

            let noViewer = try lastmile(["review", "show", id, "--show-personal-data"])
            #expect(noViewer.status == 64, "\(noViewer.stderr)")
            let viewed = try lastmile(["review", "show", id, "--show-personal-data", "--by", "jdoe"])
            #expect(viewed.status == 0, "\(viewed.stderr)")
            #expect(viewed.stdout.contains("source person "))
            #expect(try lastmile(["review", "show", "999999"]).status == 64)

            let html = workspace.root.appendingPathComponent("review/queue.html")
            let export = try lastmile(["review", "export", "--html", html.path])
            #expect(export.status == 0, "\(export.stderr)")
            // The page's whole path, as the other pages' commands print it (a trial found only "queue.html").
            #expect(export.stdout.contains("item(s) to \(html.path)"), "\(export.stdout)")
            let page = try String(contentsOf: html, encoding: .utf8)
            #expect(page.contains("<section class=\"card\" id=\"item-\(id)\">"))
            #expect(!page.contains("source person "))
            let mode = try FileManager.default.attributesOfItem(atPath: html.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            #expect(try lastmile(["review", "accept", id, "--by", "jdoe"]).status == 64, "--note is required")
            let accepted = try lastmile(["review", "accept", id, "--by", "jdoe", "--note", "same person"])
            #expect(accepted.status == 0, "\(accepted.stderr)")
            let again = try lastmile(["review", "accept", id, "--by", "jdoe", "--note", "twice"])
            #expect(again.status == 65, "\(again.stderr)")
            #expect(again.stderr.contains("undo it first"))

            let next = try lastmile(["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], night: true)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stdout.contains("released from review"), "\(next.stdout)")
            #expect(Self.openCount(next.stdout) == open - 1)
        }
    }

    /// The open count in a run summary's `review queue: N open` line.
    static func openCount(_ summary: String) -> Int? {
        summary.split(separator: "\n").first { $0.hasPrefix("review queue: ") }
            .flatMap { Int($0.dropFirst("review queue: ".count).prefix { $0.isNumber }) }
    }

    /// The id of the first item in `review list`'s table.
    static func firstItemId(_ list: String) -> String? {
        let lines = list.split(separator: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("id ") }), header + 1 < lines.count else {
            return nil
        }
        return lines[header + 1].split(separator: " ").first.map(String.init)
    }
}
