// Proves the nightly run's promises on the sample world with a real PostgreSQL: a repeated night changes
// nothing, a run killed at any point and re-run ends as one clean run, two runs never interleave, a corrected
// school day changes the absence rate, an unreachable warehouse exits 75, and every row read is accounted for.
import Foundation
import LastMileCore
import Logging
import Pipeline
import SampleData
import Store
import TestSupport
import Testing
import Warehouse

let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
let sampleAsOf = CivilDate(iso: "2026-11-20")!

/// A migrated, empty warehouse: the run itself refreshes the MPI, attribution and consent it names.
func prepareWarehouse(_ url: String, workspace: SampleWorkspace) throws -> Connection {
    let connection = try Connection(url)
    try Migrator().migrate(connection, logger: quiet)
    return connection
}

/// The clock of the night after `asOf`: cron runs at 02:00 (UTC here) the day after the data's date.
func nightClock(_ asOf: CivilDate) -> Clock { Clock.fixed(on: asOf.adding(days: 1), hour: 2) }

func runNight(
    _ workspace: SampleWorkspace, _ connection: Connection, asOf: CivilDate = sampleAsOf,
    adjust: (inout RunOptions) -> Void = { _ in }
) throws -> RunSummary {
    let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
    var options = RunOptions(asOf: asOf, clock: nightClock(asOf))
    adjust(&options)
    return try NightlyRun(config: config, options: options, logger: quiet).run(connection: connection)
}

/// Every row the load and flag stages write, with the run ids (and flag ids), but not the clock's timestamps.
func loadedRows(_ connection: Connection) throws -> [String: String] {
    let tables: [String: String] = [
        "attendance_day": "*", "shelter_stay": "*", "bed_night": "*", "booking": "*", "housing_status": "*",
        "source_crosswalk": "source, source_person_id, patient_id, match_probability, demographics_hash, decided_run",
        "review_queue":
            "source, source_person_id, candidate_patient_id, runner_up_patient_id, match_probability, reason, run_id",
        "rejected_row": "*", "flag": "*", "review_record": "*",
    ]
    return try SampleWorkspace.digest(connection, tables: tables)
}

@Suite(.serialized) struct NightlyRunTests {
    @Test func sameNightTwiceLeavesTheWarehouseIdentical() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let first = try runNight(workspace, db)
            #expect(first.isBalanced)
            #expect(first.sources.count == 5)
            #expect(first.sources.allSatisfy { $0.files == 1 && $0.rowsRead > 0 })
            #expect(first.sources.map(\.loaded).reduce(0, +) > 0)
            #expect(first.flags.created > 0)
            let before = try SampleWorkspace.dataDigest(db)

            let second = try runNight(workspace, db)
            #expect(second.sources.allSatisfy { $0.files == 0 && $0.filesSkipped == 1 })
            #expect(second.flags.created == 0 && second.flags.updated == 0 && second.flags.closed == 0)
            #expect(try SampleWorkspace.dataDigest(db) == before)
            let statuses = try db.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] }
            #expect(statuses == ["succeeded", "succeeded"])
        }
    }

    @Test func firstNightCopiedStraightInEqualsTheSameNightMergedThroughStaging() throws {
        let workspace = try SampleWorkspace()
        let (copied, copiedRows) = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db)
            return (summary, try loadedRows(db))
        }
        let (merged, mergedRows) = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db) { $0.copyIntoEmptyTables = false }
            return (summary, try loadedRows(db))
        }
        #expect(copiedRows == mergedRows)
        for table in [
            "attendance_day", "shelter_stay", "bed_night", "booking", "housing_status", "source_crosswalk",
            "review_queue", "flag", "review_record",
        ] {
            #expect(
                copiedRows[table]?.hasPrefix("0:") == false, "\(table) is empty: the comparison would prove nothing")
        }
        #expect(copied.sources.map(\.eventsInserted) == merged.sources.map(\.eventsInserted))
        #expect(copied.sources.map(\.eventsUpdated) == merged.sources.map(\.eventsUpdated))
        #expect(copied.flags == merged.flags)
    }

    @Test func newSourceBackfilledOnALaterNightEqualsAllSourcesInOneNight() throws {
        let workspace = try SampleWorkspace()
        let together = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            return try SampleWorkspace.dataDigest(db)
        }
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let first = try runNight(workspace, db) { $0.onlySources = ["riverside-usd"] }
            #expect(first.sources.map(\.source) == ["riverside-usd"])
            // The other sources arrive later: their tables (or their partitions) are empty, so they are copied in.
            let second = try runNight(workspace, db)
            #expect(
                second.sources.filter { $0.source != "riverside-usd" }.allSatisfy {
                    $0.files == 1 && $0.eventsUpdated == 0
                })
            #expect(try SampleWorkspace.dataDigest(db) == together)
        }
    }

    @Test func everyRowReadIsInExactlyOneBucket() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db)
            for s in summary.sources {
                let buckets =
                    s.rejected.values.reduce(0, +) + s.consentDropped.values.reduce(0, +) + s.unmatched
                    + s.review + s.deniedAfterMatch.values.reduce(0, +) + s.loaded
                #expect(buckets == s.rowsRead, "\(s.source)")
            }
            // The quarantine in the warehouse has every rejected row, with line numbers and no values.
            let stored = Int(try db.execute("SELECT count(*) FROM lastmile.rejected_row").scalar ?? "") ?? -1
            #expect(stored == summary.sources.map { $0.rejected.values.reduce(0, +) }.reduce(0, +))
            #expect(try db.execute("SELECT count(*) FROM lastmile.rejected_row WHERE line < 1").scalar == "0")
            // The sample's restricted records never reach the warehouse.
            #expect(
                summary.sources.first { $0.source == "coc-hmis" }?.consentDropped["drop.label.victim-service-provider"]
                    == 1)
            #expect(summary.sources.first { $0.source == "county-jail" }?.consentDropped["drop.label.juvenile"] == 1)
        }
    }

    @Test func metricsFileForNodeExporterAfterSuccessAndFailure() throws {
        let workspace = try SampleWorkspace()
        let metrics = workspace.root.appendingPathComponent("lastmile.prom").path
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            var options = RunOptions(asOf: sampleAsOf, clock: nightClock(sampleAsOf))
            options.metricsFile = metrics
            let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
            let summary = try NightlyRun(config: config, options: options, logger: quiet).run(connection: db)
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(text.contains("lastmile_last_run_success{pipeline=\"nightly\"} 1"))
            #expect(!text.contains("lastmile_last_success_timestamp_seconds{pipeline=\"nightly\"} 0\n"))
            let riverside = try #require(summary.sources.first { $0.source == "riverside-usd" })
            #expect(
                text.contains(
                    "lastmile_rows{pipeline=\"nightly\",source=\"riverside-usd\",outcome=\"read\"} \(riverside.rowsRead)"
                ))
            #expect(text.contains("lastmile_flags_active{pipeline=\"nightly\"} \(summary.flags.active)"))

            // A partial night (one source's input unusable: an empty file) reports the failed source, exit status
            // 79 and success 0, and keeps the last success time; the other sources committed.
            let lastSuccess = text.split(separator: "\n").first {
                $0.hasPrefix("lastmile_last_success_timestamp_seconds")
            }
            try Data().write(
                to: workspace.sampleData.appendingPathComponent("inbox/riverside-usd/attendance-2026-11-21.csv"))
            let partial = try NightlyRun(config: config, options: options, logger: quiet).run(connection: db)
            #expect(partial.failedSources.map(\.source) == ["riverside-usd"])
            let after = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(after.contains("lastmile_last_run_success{pipeline=\"nightly\"} 0"))
            #expect(after.contains("lastmile_last_run_exit_status{pipeline=\"nightly\"} 79"))
            #expect(after.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"riverside-usd\"} 1"))
            #expect(after.contains("lastmile_source_failed{pipeline=\"nightly\",source=\"county-jail\"} 0"))
            #expect(
                after.split(separator: "\n").first { $0.hasPrefix("lastmile_last_success_timestamp_seconds") }
                    == lastSuccess)
            #expect(
                try db.execute("SELECT status FROM lastmile.run ORDER BY run_id DESC LIMIT 1").scalar == "succeeded")
        }
    }

    @Test func correctedSchoolDayChangesTheRate() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            // Pick a loaded absence and re-send that day as present, in a new file, as a district would.
            let row = try #require(
                try db.execute(
                    """
                    SELECT a.student_id, a.attendance_date, a.school_id, a.patient_id, f.evidence->>'days_absent' AS absent
                    FROM lastmile.attendance_day a JOIN lastmile.flag f
                      ON f.patient_id = a.patient_id AND f.kind = 'chronic-absenteeism' AND f.source = a.source
                    WHERE a.source = 'riverside-usd' AND a.status IN ('absent-excused', 'absent-unexcused')
                      AND f.status = 'active'
                    ORDER BY a.patient_id, a.attendance_date LIMIT 1
                    """
                ).rows.first)
            let student = try #require(row["student_id"])
            let day = try #require(row["attendance_date"])
            let absentBefore = try #require(row.int("absent"))
            let original = try String(
                contentsOf: workspace.sampleData.appendingPathComponent(
                    "inbox/riverside-usd/attendance-2026-11-20.csv"),
                encoding: .utf8)
            let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let header = lines[0]
            let columns = header.split(separator: ",").map(String.init)
            let studentColumn = try #require(columns.firstIndex(of: "student_id"))
            let dateColumn = try #require(columns.firstIndex(of: "attendance_date"))
            let codeColumn = try #require(columns.firstIndex(of: "attendance_code"))
            let originalRow = try #require(
                lines.last { line in
                    let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    return f.count == columns.count && f[studentColumn] == student && f[dateColumn] == day
                })
            var fields = originalRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[codeColumn] = "P"
            try (header + "\n" + fields.joined(separator: ",") + "\n").write(
                to: workspace.sampleData.appendingPathComponent("inbox/riverside-usd/attendance-2026-11-21.csv"),
                atomically: true, encoding: .utf8)

            let second = try runNight(workspace, db)
            let riverside = try #require(second.sources.first { $0.source == "riverside-usd" })
            #expect(riverside.files == 1 && riverside.filesSkipped == 1)
            #expect(riverside.eventsUpdated == 1)
            let status = try db.execute(
                "SELECT status FROM lastmile.attendance_day WHERE source = 'riverside-usd' AND student_id = $1 AND attendance_date = $2::date",
                [student, day]
            ).scalar
            #expect(status == "present")
            let absentAfter = try db.execute(
                """
                SELECT (evidence->>'days_absent')::int FROM lastmile.flag
                WHERE patient_id = $1 AND kind = 'chronic-absenteeism' AND source = 'riverside-usd'
                ORDER BY period_start DESC LIMIT 1
                """, [row["patient_id"]]
            ).scalar.flatMap { Int($0) }
            #expect(absentAfter == absentBefore - 1)
        }
    }

    @Test func optOutAfterTheLoadClosesThePatientsFlagsOnTheNextRun() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let patient = try #require(
                try db.execute(
                    "SELECT patient_id FROM lastmile.flag WHERE status = 'active' ORDER BY patient_id LIMIT 1"
                ).scalar)
            let activeBefore = try db.execute(
                "SELECT count(*) FROM lastmile.flag WHERE patient_id = $1 AND status = 'active'", [patient]
            ).scalar
            #expect(activeBefore != "0")
            // The patient opts out of everything (a new row in the registry extract the pipeline refreshes).
            let directives = workspace.sampleData.appendingPathComponent("consent-directives.csv")
            let handle = try FileHandle(forWritingTo: directives)
            handle.seekToEndOfFile()
            handle.write(Data("test-optout-1,\(patient),deny,,,,,,,2026-11-21,active,self\n".utf8))
            try handle.close()

            let next = try runNight(workspace, db, asOf: CivilDate(iso: "2026-11-21")!)
            #expect(next.flags.closed > 0)
            #expect(
                try db.execute(
                    "SELECT count(*) FROM lastmile.flag WHERE patient_id = $1 AND status = 'active'", [patient]
                ).scalar == "0")
            // Closed, not deleted: the history stays for the accounting of disclosures.
            #expect(try db.execute("SELECT count(*) FROM lastmile.flag WHERE patient_id = $1", [patient]).scalar != "0")
        }
    }

    @Test func secondRunIsRefusedWhileTheFirstHoldsTheLockThenWaitsWhenAllowed() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let holder = try Connection(url)
            #expect(try holder.tryAdvisoryLock(NightlyRun.sourceLockKey("riverside-usd")))
            let refused = try #require(throws: WarehouseError.self) { try runNight(workspace, db) }
            #expect(refused.exitStatus == .temporaryFailure)
            #expect(refused.description.contains("another lastmile run holds the lock"))
            #expect(try db.execute("SELECT count(*) FROM lastmile.ingested_file").scalar == "0")

            try workspace.edit(
                "pipelines/nightly.yaml", replacing: "lock_wait_seconds: 0", with: "lock_wait_seconds: 30")
            // The holder is used by that one closure only, after this thread is done with it.
            nonisolated(unsafe) let releasing = holder
            // A plain thread that sleeps, not a dispatch timer: under faketime a dispatch deadline never comes.
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 1)
                _ = try? releasing.advisoryUnlock(NightlyRun.sourceLockKey("riverside-usd"))
            }
            let waited = try runNight(workspace, db)
            #expect(waited.sources.allSatisfy { $0.files == 1 })
        }
    }

    @Test func runKilledAtRandomPointsThenRerunEqualsOneCleanRun() throws {
        let workspace = try SampleWorkspace()
        var cleanMicroseconds: UInt32 = 0
        let clean = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let started = ContinuousClock.now
            _ = try runNight(workspace, db)
            let elapsed = (ContinuousClock.now - started).components
            cleanMicroseconds = UInt32(clamping: elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000)
            return try SampleWorkspace.dataDigest(db)
        }
        // Kill points inside the night's own duration (the CLI adds its start-up on top), so that a fast machine
        // does not finish the run before the first kill.
        let latestKill = max(40_000, cleanMicroseconds)
        // A killed client's server session may hold the lock for a moment: the re-runs wait for it, as cron's would.
        try workspace.edit("pipelines/nightly.yaml", replacing: "lock_wait_seconds: 0", with: "lock_wait_seconds: 30")
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            var generator = SplitMix64(seed: 20_261_124)  // reproducible kill points
            var killedInsideTheRun = 0
            for _ in 0..<5 {
                let lastRunId =
                    Int(try db.execute("SELECT coalesce(max(run_id), 0) FROM lastmile.run").scalar ?? "") ?? 0
                let process = Process()
                process.executableURL = LastMileBinary.url
                process.arguments = ["run", workspace.nightlyPipeline, "--as-of", "2026-11-20", "--database", url]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                // Wait for this run's own `running` ledger row (written just before its transaction begins),
                // then kill at a random point of a clean night's duration: the kill lands inside the run.
                let started = try waitForRunningRow(after: lastRunId, of: process, in: db)
                usleep(UInt32.random(in: 0...latestKill, using: &generator))
                if started, process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    killedInsideTheRun += 1
                }
                process.waitUntilExit()
                if try db.execute("SELECT count(*) FROM lastmile.run WHERE status = 'succeeded'").scalar != "0" {
                    break
                }
            }
            _ = try runNight(workspace, db)
            #expect(try SampleWorkspace.dataDigest(db) == clean)
            // Some kills landed inside a run, each left a ledger row that the next run closed as failed, and
            // none stays running.
            #expect(killedInsideTheRun > 0)
            let failed = "SELECT count(*) FROM lastmile.run WHERE status = 'failed' AND message LIKE 'interrupted:%'"
            #expect(Int(try db.execute(failed).scalar ?? "") == killedInsideTheRun)
            #expect(try db.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "0")
        }
    }

    /// Polls until a run newer than `lastRunId` shows as running (true), or `process` ended or 30 s passed.
    private func waitForRunningRow(after lastRunId: Int, of process: Process, in db: Connection) throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        let query = "SELECT count(*) FROM lastmile.run WHERE status = 'running' AND run_id > $1"
        while process.isRunning, ContinuousClock.now < deadline {
            if try db.execute(query, [lastRunId]).scalar == "1" { return true }
            usleep(2_000)
        }
        return false
    }

    @Test func unreachableWarehouseExits75AndWritesNothing() throws {
        let workspace = try SampleWorkspace()
        let result = try LastMileBinary.run(
            [
                "run", workspace.nightlyPipeline, "--as-of", "2026-11-20", "--database",
                "host=\(workspace.root.path)/no-server user=lastmile dbname=lastmile",
            ],
            in: workspace.root)
        #expect(result.status == 75)
        #expect(result.stderr.contains("temporarily unavailable"))
        #expect(
            !FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent(".lastmile/rejects").path))
    }
}
