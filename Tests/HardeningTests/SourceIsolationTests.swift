// Issue 16 item 2: an unusable input fails its own source for the night, not the night. The other sources
// commit and their flags are derived, the broken file is not marked loaded (the next run retries it), the
// failed source's earlier data stays, and the run exits 79 naming the source in its summary, ledger and metrics.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct SourceIsolationTests {
    static let jailFile = "inbox/county-jail/bookings-2026-11-20.csv"
    static let bookingColumns = [
        "booking": "source, booking_number, patient_id, booked_at, released_at, facility, charge_count"
    ]

    static func run(_ workspace: SampleWorkspace, _ url: String, asOf: String, metrics: String) throws -> CommandResult
    {
        try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", asOf, "--database", url, "--metrics-file", metrics],
            in: workspace.root)
    }

    static func loadedFiles(_ db: Connection, source: String) throws -> Set<String> {
        Set(
            try db.execute("SELECT file_name FROM lastmile.ingested_file WHERE source = $1", [source]).rows
                .compactMap { $0["file_name"] })
    }

    /// The metrics file's `lastmile_last_success_timestamp_seconds`.
    static func lastSuccess(in metrics: String) -> Double? {
        let prefix = "lastmile_last_success_timestamp_seconds{pipeline=\"nightly\"} "
        return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
            Double($0.dropFirst(prefix.count))
        }
    }

    static func count(_ db: Connection, _ sql: String) throws -> Int {
        Int(try db.execute(sql).scalar ?? "") ?? -1
    }

    @Test func anEmptyFileFailsOnlyItsSourceAndTheNextRunLoadsItOnceFixed() throws {
        let workspace = try SampleWorkspace()
        let jail = workspace.sampleData.appendingPathComponent(Self.jailFile)
        let original = try Data(contentsOf: jail)
        try Data().write(to: jail)
        let metrics = workspace.root.appendingPathComponent("lastmile.prom").path
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let night = try Self.run(workspace, url, asOf: "2026-11-20", metrics: metrics)
            #expect(night.status == 79, "\(night.stderr)")
            #expect(night.stdout.contains("source county-jail: FAILED"), "\(night.stdout)")
            #expect(night.stderr.contains("county-jail") && night.stderr.contains("bookings-2026-11-20.csv"))

            // The other sources committed, their flags derived; nothing of the jail was written.
            let sources = Set(
                try db.execute("SELECT DISTINCT source FROM lastmile.ingested_file").rows.compactMap { $0[0] })
            #expect(sources == ["riverside-usd", "lakeside-edfi", "coc-hmis", "ce-by-name-list"], "\(sources)")
            #expect(try Self.count(db, "SELECT count(*) FROM lastmile.flag WHERE status = 'active'") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM lastmile.booking") == 0)
            #expect(try Self.loadedFiles(db, source: "county-jail").isEmpty)

            let ledger = try #require(
                try db.execute("SELECT status, message, counts::text AS counts FROM lastmile.run").rows.first)
            #expect(ledger["status"] == "succeeded")
            #expect(ledger["message"]?.contains("county-jail") == true, "\(ledger["message"] ?? "")")
            #expect(ledger["counts"]?.contains("\"failedSources\"") == true)
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(text.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"county-jail\"} 1"), "\(text)")
            #expect(text.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"riverside-usd\"} 0"))
            #expect(text.contains("lastmile_last_run_exit_status{pipeline=\"nightly\"} 79"))
            #expect(text.contains("lastmile_last_run_success{pipeline=\"nightly\"} 0"))
            #expect(text.contains("lastmile_last_success_timestamp_seconds{pipeline=\"nightly\"} 0"), "\(text)")
            let listed = try LastMileBinary.run(["runs", "--database", url], in: workspace.root)
            #expect(listed.stdout.split(separator: "\n").last?.contains(" partial ") == true, "\(listed.stdout)")

            // The county re-sends the file: the next run loads it, and only it.
            try original.write(to: jail)
            let retry = try Self.run(workspace, url, asOf: "2026-11-20", metrics: metrics)
            #expect(retry.status == 0, "\(retry.stderr)")
            #expect(try Self.loadedFiles(db, source: "county-jail") == ["bookings-2026-11-20.csv"])
            #expect(try Self.count(db, "SELECT count(*) FROM lastmile.booking") > 0)
            #expect(try Self.count(db, "SELECT count(*) FROM lastmile.ingested_file") == 5)
            let after = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(after.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"county-jail\"} 0"))
            let complete = try #require(Self.lastSuccess(in: after))
            #expect(complete > 0)

            // A later partial night on a host with no metrics file yet keeps the ledger's last complete night.
            try FileManager.default.removeItem(atPath: metrics)
            try Data().write(
                to: workspace.sampleData.appendingPathComponent("inbox/county-jail/bookings-2026-11-21.csv"))
            let partial = try Self.run(workspace, url, asOf: "2026-11-21", metrics: metrics)
            #expect(partial.status == 79, "\(partial.stderr)")
            let third = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(Self.lastSuccess(in: third) == complete, "\(third)")
        }
    }

    @Test func aFileMissingARequiredColumnLeavesTheSourcesEarlierDataAndItsOtherNewFilesAlone() throws {
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox/county-jail")
        let metrics = workspace.root.appendingPathComponent("lastmile.prom").path
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let first = try Self.run(workspace, url, asOf: "2026-11-20", metrics: metrics)
            #expect(first.status == 0, "\(first.stderr)")
            let bookings = try SampleWorkspace.digest(db, tables: Self.bookingColumns)
            let flags = try Self.count(db, "SELECT count(*) FROM lastmile.flag")

            // A good new jail file, and one whose header lacks booking_number (its first column).
            let original = try String(
                contentsOf: inbox.appendingPathComponent("bookings-2026-11-20.csv"), encoding: .utf8)
            let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
            try (lines.prefix(3).joined(separator: "\n") + "\n").write(
                to: inbox.appendingPathComponent("bookings-2026-11-21.csv"), atomically: true, encoding: .utf8)
            let truncated = lines.prefix(3).map {
                $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst()
            }
            try (truncated.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(
                to: inbox.appendingPathComponent("bookings-2026-11-22.csv"), atomically: true, encoding: .utf8)

            let night = try Self.run(workspace, url, asOf: "2026-11-22", metrics: metrics)
            #expect(night.status == 79, "\(night.stderr)")
            #expect(night.stderr.contains("booking_number"), "\(night.stderr)")
            #expect(try Self.loadedFiles(db, source: "county-jail") == ["bookings-2026-11-20.csv"])
            #expect(try SampleWorkspace.digest(db, tables: Self.bookingColumns) == bookings)
            #expect(try Self.count(db, "SELECT count(*) FROM lastmile.flag") >= flags)
            let message = try db.execute("SELECT message FROM lastmile.run ORDER BY run_id DESC LIMIT 1").scalar
            #expect(message?.contains("county-jail") == true && message?.contains("booking_number") == true)

            // The bad file removed, the good one waiting since the failed night is loaded.
            try FileManager.default.removeItem(at: inbox.appendingPathComponent("bookings-2026-11-22.csv"))
            let retry = try Self.run(workspace, url, asOf: "2026-11-22", metrics: metrics)
            #expect(retry.status == 0, "\(retry.stderr)")
            #expect(
                try Self.loadedFiles(db, source: "county-jail") == [
                    "bookings-2026-11-20.csv", "bookings-2026-11-21.csv",
                ])
        }
    }
}
