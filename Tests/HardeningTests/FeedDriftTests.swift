// Issue 16 items 3 and 4, through the binary: a feed that stops fails its source after max_feed_age_days, a
// renamed column and a much shorter file are warnings, a full snapshot retires who it no longer lists, and a
// file loaded again after a mapping fix replaces what it produced.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct FeedDriftTests {
    static let jailFile = "inbox/county-jail/bookings-2026-11-20.csv"
    static let firstNight = Date(timeIntervalSince1970: 1_795_226_400)  // 2026-11-21T02:00:00Z

    /// Runs the nightly pipeline with the clock `days` after the first night.
    static func run(
        _ workspace: SampleWorkspace, _ url: String, daysLater days: Int = 0, asOf: String = "2026-11-20",
        extra: [String] = []
    ) throws -> CommandResult {
        let metrics = workspace.root.appendingPathComponent("lastmile.prom").path
        let now = firstNight.addingTimeInterval(Double(days) * 86_400)
        return try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", asOf, "--database", url, "--metrics-file", metrics] + extra,
            in: workspace.root, environment: ["LASTMILE_NOW": Clock.iso8601(now)])
    }

    /// Appends YAML lines to a source config of the workspace.
    static func configure(_ workspace: SampleWorkspace, _ source: String, _ lines: String) throws {
        let url = workspace.root.appendingPathComponent("pipelines/sources/\(source).yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        try (text + (text.hasSuffix("\n") ? "" : "\n") + lines + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    static func scalar(_ db: Connection, _ sql: String, _ parameters: [any SQLParameter] = []) throws -> String {
        try db.execute(sql, parameters).scalar ?? ""
    }

    @Test func aFeedWithoutNewFilesForLongerThanItsMaximumFailsOnlyItsSource() throws {
        let workspace = try SampleWorkspace()
        for source in ["riverside-usd", "lakeside-edfi", "coc-hmis", "ce-by-name-list"] {
            try Self.configure(workspace, source, "max_feed_age_days: 30")
        }
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let first = try Self.run(workspace, url)
            #expect(first.status == 0, "\(first.stderr)")
            try FileManager.default.removeItem(at: workspace.sampleData.appendingPathComponent(Self.jailFile))

            // Three days without a file: reported, not yet an error.
            let third = try Self.run(workspace, url, daysLater: 3)
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.stdout.contains("warning: no input matches "), "\(third.stdout)")
            #expect(third.stdout.contains("county-jail/bookings-*.csv\n"))

            // Four days: the jail fails for the night, the others commit.
            let fourth = try Self.run(workspace, url, daysLater: 4)
            #expect(fourth.status == 79, "\(fourth.stderr)")
            #expect(fourth.stdout.contains("source county-jail: FAILED"), "\(fourth.stdout)")
            #expect(fourth.stdout.contains("no new input for 4 day(s), more than max_feed_age_days 3"))
            #expect(fourth.stdout.contains("source riverside-usd: 0 file(s) read, 1 already loaded"))
            let ledger = try #require(
                try db.execute("SELECT status, message, counts::text AS counts FROM lastmile.run ORDER BY run_id DESC")
                    .rows.first)
            #expect(ledger["status"] == "succeeded")
            #expect(ledger["message"]?.contains("county-jail: no new input for 4 day(s)") == true)
            #expect(ledger["counts"]?.contains("\"feedAgeDays\": 4") == true, "\(ledger["counts"] ?? "")")
            let metrics = try String(
                contentsOf: workspace.root.appendingPathComponent("lastmile.prom"), encoding: .utf8)
            #expect(metrics.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"county-jail\"} 1"))
            #expect(metrics.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"riverside-usd\"} 0"))
            #expect(metrics.contains("lastmile_source_inputs_matched{pipeline=\"nightly\",source=\"county-jail\"} 0"))
            #expect(metrics.contains("lastmile_source_feed_age_days{pipeline=\"nightly\",source=\"county-jail\"} 4"))
            #expect(metrics.contains("lastmile_last_run_exit_status{pipeline=\"nightly\"} 79"))
            // What the jail sent before stays.
            #expect(try Self.scalar(db, "SELECT count(*) FROM lastmile.booking") != "0")
        }
    }

    @Test func aRenamedMappedColumnAndAMuchShorterFileAreWarnings() throws {
        let workspace = try SampleWorkspace()
        try Self.configure(workspace, "county-jail", "columns:\n  facility: FacilityName")
        try TestDatabase.withFreshDatabase { url in
            let first = try Self.run(workspace, url)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("mapped optional column \"FacilityName\" is not in the header"))

            // The next file has two bookings where the last had fourteen.
            let inbox = workspace.sampleData.appendingPathComponent("inbox/county-jail")
            let lines = try String(contentsOf: inbox.appendingPathComponent("bookings-2026-11-20.csv"), encoding: .utf8)
                .split(separator: "\n")
            try (lines.prefix(3).joined(separator: "\n") + "\n").write(
                to: inbox.appendingPathComponent("bookings-2026-11-21.csv"), atomically: true, encoding: .utf8)
            let second = try Self.run(workspace, url, daysLater: 1, asOf: "2026-11-21")
            #expect(second.status == 0, "\(second.stderr)")
            #expect(
                second.stdout.contains(
                    "bookings-2026-11-21.csv: 2 rows, fewer than 50 % of the previous file's 14 "
                        + "(bookings-2026-11-20.csv)"), "\(second.stdout)")
        }
    }

    @Test func aFullSnapshotRetiresWhoItNoLongerListsAndClosesTheirFlag() throws {
        let workspace = try SampleWorkspace()
        try Self.configure(workspace, "ce-by-name-list", "snapshot: full")
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let first = try Self.run(workspace, url)
            #expect(first.status == 0, "\(first.stderr)")
            let patient = try Self.scalar(
                db,
                """
                SELECT patient_id FROM lastmile.flag WHERE source = 'ce-by-name-list' AND status = 'active'
                ORDER BY patient_id LIMIT 1
                """)
            #expect(!patient.isEmpty)
            let records = Set(
                try db.execute(
                    "SELECT record_id FROM lastmile.housing_status WHERE patient_id = $1", [patient]
                ).rows.compactMap { $0["record_id"] })
            let stored = Int(try Self.scalar(db, "SELECT count(*) FROM lastmile.housing_status")) ?? 0

            // Tomorrow's list: the same, without that person.
            let inbox = workspace.sampleData.appendingPathComponent("inbox/ce-by-name-list")
            let lines = try String(contentsOf: inbox.appendingPathComponent("housing-2026-11-20.csv"), encoding: .utf8)
                .split(separator: "\n")
            let kept = lines.filter { line in !records.contains(String(line.prefix { $0 != "," })) }
            try (kept.joined(separator: "\n") + "\n").write(
                to: inbox.appendingPathComponent("housing-2026-11-21.csv"), atomically: true, encoding: .utf8)
            let second = try Self.run(workspace, url, daysLater: 1, asOf: "2026-11-21")
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("\(records.count) retired (no longer in the full snapshot)"))
            #expect(
                try Self.scalar(db, "SELECT count(*) FROM lastmile.housing_status WHERE patient_id = $1", [patient])
                    == "0")
            #expect(
                try Self.scalar(db, "SELECT count(*) FROM lastmile.housing_status") == String(stored - records.count))
            #expect(
                try Self.scalar(
                    db,
                    "SELECT count(*) FROM lastmile.flag WHERE source = 'ce-by-name-list' AND patient_id = $1 "
                        + "AND status = 'active'", [patient]) == "0")
            #expect(second.stdout.contains("unchanged)"))
        }
    }

    @Test func aFileLoadedAgainAfterAMappingFixReplacesWhatItProduced() throws {
        let workspace = try SampleWorkspace()
        let config = "pipelines/sources/county-jail.yaml"
        // The first mapping took the booking number from the wrong column.
        try Self.configure(workspace, "county-jail", "columns:\n  booking_number: address_line")
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let first = try Self.run(workspace, url)
            #expect(first.status == 0, "\(first.stderr)")
            let wrong = "SELECT count(*) FROM lastmile.booking WHERE booking_number NOT LIKE 'B26-%'"
            #expect(try Self.scalar(db, wrong) != "0")

            try workspace.edit(config, replacing: "columns:\n  booking_number: address_line\n", with: "")
            let file = workspace.sampleData.appendingPathComponent(Self.jailFile).path
            let again = try Self.run(workspace, url, extra: ["--reprocess", file])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("1 loaded again (reprocessed)"), "\(again.stdout)")
            #expect(again.stdout.contains("no longer produced by a reprocessed file"))
            #expect(try Self.scalar(db, wrong) == "0")
            #expect(try Self.scalar(db, "SELECT count(*) FROM lastmile.booking") != "0")
            let inputs = try Self.scalar(db, "SELECT inputs::text FROM lastmile.run ORDER BY run_id DESC LIMIT 1")
            #expect(inputs.contains("\"reprocessed\": true"), "\(inputs)")

            let list = try LastMileBinary.run(["files", "list", "--database", url], in: workspace.root)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("bookings-2026-11-20.csv") && list.stdout.contains("(reprocessed by run 2)"))

            // `files forget` marks it; the next run loads it again and finds nothing to change.
            let forget = try LastMileBinary.run(
                ["files", "forget", "bookings-2026-11-20.csv", "--source", "county-jail", "--database", url],
                in: workspace.root)
            #expect(forget.status == 0, "\(forget.stderr)")
            let bookings = try SampleWorkspace.digest(db, tables: ["booking": "source, booking_number, released_at"])
            let third = try Self.run(workspace, url)
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.stdout.contains("1 loaded again (reprocessed)"))
            // One truthful line: the file was loaded again, so the source did not go without input tonight.
            let jail = third.stdout.components(separatedBy: "\n\n").first { $0.hasPrefix("source county-jail:") }
            #expect(jail?.contains("1 loaded again (reprocessed)") == true, "\(third.stdout)")
            #expect(jail?.contains("no new input") == false, "\(third.stdout)")
            let stored = try Self.scalar(db, "SELECT count(*) FROM lastmile.booking")
            #expect(third.stdout.contains("events 0 new, 0 corrected, \(stored) unchanged"), "\(third.stdout)")
            #expect(
                try SampleWorkspace.digest(db, tables: ["booking": "source, booking_number, released_at"]) == bookings)

            let unknown = try Self.run(workspace, url, extra: ["--reprocess", config])
            #expect(unknown.status == 64, "\(unknown.stderr)")
            #expect(unknown.stderr.contains("not an input of the sources run"))

            // Forgetting a file that was never loaded is a usage error, said in one line (no usage banner).
            let notLoaded = try LastMileBinary.run(
                ["files", "forget", "nosuch.csv", "--source", "county-jail", "--database", url], in: workspace.root)
            #expect(notLoaded.status == 64, "\(notLoaded.stderr)")
            #expect(notLoaded.stderr.contains("lastmile: nosuch.csv is not a loaded file of county-jail"))
            #expect(!notLoaded.stderr.contains("Usage:"), "\(notLoaded.stderr)")
        }
    }
}
