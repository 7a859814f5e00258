// `--source NAME` naming no configured source: one line that says so and lists the source names, exit 64,
// instead of the top-level usage text.
import Foundation
import TestSupport
import Testing

@Suite struct UnknownSourceTests {
    static let names = ["ce-by-name-list", "coc-hmis", "county-jail", "lakeside-edfi", "riverside-usd"]

    @Test func runWithAnUnknownSourceSaysSoInOneLineAndListsTheSources() throws {
        let workspace = try SampleWorkspace()
        let result = try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--source", "riverside"], in: workspace.root)
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "no source is called riverside in pipelines/nightly.yaml; its sources: "
                    + Self.names.joined(separator: ", ")), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage"))
    }

    @Test func extractWithAnUnknownSourceSaysSoInOneLine() throws {
        let workspace = try SampleWorkspace()
        let file = "sample-data/inbox/riverside-usd/attendance-2026-11-20.csv"
        let result = try LastMileBinary.run(["extract", "--source", "riverside", file], in: workspace.root)
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("no source is called riverside in pipelines/sources; its sources: "))
        #expect(!result.stderr.contains("Usage"))
    }
}
