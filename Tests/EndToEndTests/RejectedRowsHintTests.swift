// A new-user trial: after a run that rejected rows, the summary gave counts by reason but no way to the rows
// themselves. The text summary now says which command lists them by line and where the raw rows (0600) are.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct RejectedRowsHintTests {
    @Test func aRunWithRejectedRowsSaysWhereTheyAre() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let night = try LastMileBinary.run(
                [
                    "run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--source", "riverside-usd", "--database",
                    url,
                ],
                in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")
            #expect(night.stdout.contains("rejected             4"), "\(night.stdout)")
            let rejects = workspace.root.appendingPathComponent(".lastmile/rejects/nightly-run1.csv").standardized.path
            #expect(FileManager.default.fileExists(atPath: rejects))
            #expect(
                night.stdout.contains(
                    "rejected rows: `lastmile extract --source riverside-usd FILE --all` lists them by line, column "
                        + "and reason; their raw rows (mode 0600) are in \(rejects)"), "\(night.stdout)")

            // A run that rejected nothing (every input already loaded) points at no file.
            let again = try LastMileBinary.run(
                [
                    "run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--source", "riverside-usd", "--database",
                    url,
                ],
                in: workspace.root)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(!again.stdout.contains("rejected rows:"), "\(again.stdout)")
        }
    }
}
