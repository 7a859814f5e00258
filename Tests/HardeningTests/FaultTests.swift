// Issue 8 item 1 (first case): the warehouse's PostgreSQL stops while the nightly run is loading. The run
// must exit 75 (temporary failure), leave nothing of itself visible after a restart, and the next run must
// load the night in full and close the interrupted one in the ledger.
import Foundation
import LastMileCore
import Logging
import Store
import TestSupport
import Testing
import Warehouse

let silent = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite(.serialized) struct FaultTests {
    @Test(.timeLimit(.minutes(5))) func serverStoppedMidRunExits75AndTheNextRunLoadsEverything() throws {
        let state = try TemporaryDirectory()
        let cluster = EmbeddedCluster(stateDirectory: state.url.appendingPathComponent("pg"), throwaway: true)
        defer { try? cluster.destroy() }
        let url = try cluster.start()
        let workspace = try SampleWorkspace()
        do {
            let db = try Connection(url)
            try Migrator().migrate(db, logger: silent)
        }
        let empty = try SampleWorkspace.dataDigest(try Connection(url))

        let process = Process()
        process.executableURL = LastMileBinary.url
        process.arguments = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url]
        process.currentDirectoryURL = workspace.root
        process.standardOutput = FileHandle.nullDevice
        let errors = workspace.root.appendingPathComponent("run.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        // Stop the server as soon as the run has started (its ledger row is committed before the work).
        let watcher = try Connection(url)
        var started = false
        for _ in 0..<2000 where process.isRunning {
            if try watcher.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "1" {
                started = true
                break
            }
            usleep(5_000)
        }
        #expect(started, "the run never showed as running")
        try cluster.stop()
        process.waitUntilExit()
        let stderr = try String(contentsOf: errors, encoding: .utf8)
        #expect(process.terminationStatus == 75, "\(stderr)")
        // The connection is lost, or the server says it is shutting down (57P01), depending on timing.
        #expect(stderr.contains("temporarily unavailable") || stderr.contains("57P01"), "\(stderr)")

        _ = try cluster.start()
        let db = try Connection(url)
        // The reference refresh (MPI, attribution, consent) commits on its own before the sources' work
        // (docs/architecture.md, "The nightly run"); nothing of the night's sources may be visible.
        let referenceTables: Set = ["patient", "attribution", "consent_directive"]
        #expect(
            try SampleWorkspace.dataDigest(db).filter { !referenceTables.contains($0.key) }
                == empty.filter { !referenceTables.contains($0.key) }, "part of the interrupted run is visible")
        #expect(try db.execute("SELECT status FROM lastmile.run").rows.compactMap { $0[0] } == ["running"])

        let next = try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(
            try db.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] }
                == ["failed", "succeeded"])
        #expect(Int(try db.execute("SELECT count(*) FROM lastmile.flag").scalar ?? "") ?? 0 > 0)
        #expect(Int(try db.execute("SELECT count(DISTINCT source) FROM lastmile.ingested_file").scalar ?? "") == 5)

        // PostgreSQL restarted between runs: the next run connects afresh and finds nothing new to load.
        let loaded = try SampleWorkspace.dataDigest(db)
        try cluster.stop()
        _ = try cluster.start()
        let afterRestart = try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
        #expect(afterRestart.status == 0, "\(afterRestart.stderr)")
        let reconnected = try Connection(url)
        #expect(try SampleWorkspace.dataDigest(reconnected) == loaded)
        #expect(
            try reconnected.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] }
                == ["failed", "succeeded", "succeeded"])
    }

    @Test func aRejectsFolderThatCannotBeCreatedFailsTheRunWith73AndCommitsNothing() throws {
        let workspace = try SampleWorkspace()
        let state = workspace.root.appendingPathComponent(".lastmile")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        // A file where the folder should be: fails for root too, unlike a permission bit.
        try Data("not a folder".utf8).write(to: state.appendingPathComponent("rejects"))
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: silent)
            let empty = try SampleWorkspace.dataDigest(db)
            let result = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            #expect(result.status == 73, "\(result.stderr)")
            #expect(result.stderr.contains(".lastmile/rejects") && result.stderr.contains("cannot write"))
            #expect(try SampleWorkspace.dataDigest(db) == empty)
            let statuses = try db.execute("SELECT status FROM lastmile.run").rows.compactMap { $0[0] }
            #expect(statuses == ["failed"], "\(statuses)")
        }
    }

    @Test func anOutboxThatCannotBeWrittenExits73AndMarksNothingDelivered() throws {
        let workspace = try SampleWorkspace()
        try workspace.edit(
            "pipelines/monday-absenteeism.yaml", replacing: "[\"../scripts/deliver-to-drop.sh\", ",
            with: "[\"/bin/true\", ")
        try TestDatabase.withFreshDatabase { url in
            let night = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            #expect(night.status == 0, "\(night.stderr)")
            let outbox = workspace.root.appendingPathComponent("outbox")
            try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
            try Data("in the way".utf8).write(to: outbox.appendingPathComponent("riverside-peds"))
            let report = [
                "report", "absenteeism", "--pipeline", "pipelines/monday-absenteeism.yaml", "--week-of", "2026-11-23",
                "--as-of", "2026-11-23", "--all-practices", "--database", url,
            ]
            let blocked = try LastMileBinary.run(report, in: workspace.root)
            #expect(blocked.status == 73, "\(blocked.stderr)")
            #expect(blocked.stderr.contains("riverside-peds: expected a directory"), "\(blocked.stderr)")
            let db = try Connection(url)
            #expect(
                try db.execute("SELECT count(*) FROM lastmile.report WHERE practice_id = 'riverside-peds'").scalar
                    == "0")
            #expect(
                try db.execute(
                    "SELECT count(*) FROM lastmile.disclosure d JOIN lastmile.report r USING (report_id) WHERE r.practice_id = 'riverside-peds'"
                ).scalar == "0")
            // Whatever was marked delivered exists on disk.
            for row in try db.execute("SELECT files::text FROM lastmile.report WHERE delivery_status = 'delivered'")
                .rows
            {
                let files = try JSONSerialization.jsonObject(with: Data((row[0] ?? "[]").utf8)) as? [String] ?? []
                for file in files {
                    let path = file.hasPrefix("/") ? file : workspace.root.appendingPathComponent(file).path
                    #expect(FileManager.default.fileExists(atPath: path), "\(file)")
                }
            }

            try FileManager.default.removeItem(at: outbox.appendingPathComponent("riverside-peds"))
            let retried = try LastMileBinary.run(report, in: workspace.root)
            #expect(retried.status == 0, "\(retried.stderr)")
            #expect(
                try db.execute(
                    "SELECT delivery_status FROM lastmile.report WHERE practice_id = 'riverside-peds'"
                ).rows.compactMap { $0[0] } == ["delivered"])
        }
    }

    @Test(.timeLimit(.minutes(5))) func aRunKilledMidWayLeavesNoLockBehind() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: silent)
            let process = Process()
            process.executableURL = LastMileBinary.url
            process.arguments = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url]
            process.currentDirectoryURL = workspace.root
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var started = false
            for _ in 0..<2000 where process.isRunning {
                if try db.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "1" {
                    started = true
                    break
                }
                usleep(5_000)
            }
            #expect(started)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)

            // The lock was the dead session's: cron's next attempt gets it (after at most a retry, while the
            // server notices the closed connection; lock_wait_seconds is 0 in the shipped pipeline).
            var next = try LastMileBinary.run(
                ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            for _ in 0..<5 where next.status == 75 {
                sleep(2)
                next = try LastMileBinary.run(
                    ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
            }
            #expect(next.status == 0, "\(next.stderr)")
            let statuses = try db.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] }
            #expect(statuses == ["failed", "succeeded"], "\(statuses)")
            #expect(try db.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "0")
            #expect(Int(try db.execute("SELECT count(DISTINCT source) FROM lastmile.ingested_file").scalar ?? "") == 5)
        }
    }

    /// A run whose process died (kill -9) shows as interrupted in `runs` and `runs --html` at once, not as
    /// running until the next run starts; a run still going on beside it shows as running.
    @Test func aRunWhoseProcessDiedIsListedAsInterruptedBeforeAnyNextRun() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: silent)
            let started = Date(timeIntervalSince1970: 1_795_140_000)  // 2026-11-20T02:00:00Z
            let night = try #require(CivilDate(iso: "2026-11-20"))
            do {
                // The dead run: recorded the way `run` records it, then its session ends without finishing.
                let dying = try Connection(url)
                _ = try RunLedger(connection: dying).start(pipeline: "nightly", asOf: night, at: started)
            }
            let live = try Connection(url)
            let liveId = try RunLedger(connection: live).start(pipeline: "nightly", asOf: night, at: started)
            // The dead session's lock goes when the server has noticed the closed connection.
            for _ in 0..<200 {
                let held = try db.execute(
                    "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND classid = 1818325842")
                if held.scalar == "1" { break }
                usleep(10_000)
            }
            let listed = try LastMileBinary.run(["runs", "--database", url], in: workspace.root)
            #expect(listed.status == 0, "\(listed.stderr)")
            let lines = listed.stdout.split(separator: "\n").map(String.init)
            let dead = try #require(lines.first { $0.hasPrefix("1 ") }, "\(listed.stdout)")
            #expect(dead.contains(" interrupted ") && dead.contains("nothing of it was committed"), "\(dead)")
            let running = try #require(lines.first { $0.hasPrefix("\(liveId) ") }, "\(listed.stdout)")
            #expect(running.contains(" running "), "\(running)")

            let page = try LastMileBinary.run(
                ["runs", "--html", "nights.html", "--database", url], in: workspace.root)
            #expect(page.status == 0, "\(page.stderr)")
            let html = try String(contentsOf: workspace.root.appendingPathComponent("nights.html"), encoding: .utf8)
            #expect(html.contains("2026-11-20: 1 run(s) interrupted"), "\(html.prefix(2000))")
            // Listing changed nothing: the ledger still says running until the next run closes the run.
            #expect(try db.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "2")
        }
    }

    @Test func anInputStillBeingWrittenIsLeftForTheNextRun() throws {
        let workspace = try SampleWorkspace()
        try workspace.edit(
            "pipelines/nightly.yaml", replacing: "lock_wait_seconds: 0",
            with: "lock_wait_seconds: 0\ninput_settle_seconds: 60")
        let inbox = workspace.sampleData.appendingPathComponent("inbox")
        // The runs' clock is fixed (LASTMILE_NOW) and the test sets every file's mtime itself, so the calendar
        // moves neither. Under faketime, stat() may report mtimes shifted by the fake offset: the clock given to
        // the binary is shifted by what this process (which the binary's environment matches) reads back.
        let setAt = Date(timeIntervalSince1970: 1_795_226_400)  // 2026-11-21T02:00:00Z
        var runAt = setAt
        func setModified(_ url: URL, secondsBeforeRun seconds: TimeInterval) throws {
            try FileManager.default.setAttributes(
                [.modificationDate: setAt.addingTimeInterval(-seconds)], ofItemAtPath: url.path)
        }
        func age(_ url: URL) throws { try setModified(url, secondsBeforeRun: 3600) }
        let walker = FileManager.default.enumerator(at: inbox, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL { try age(url) }
        // An upload under way: a new riverside file, just written.
        let original = try String(
            contentsOf: inbox.appendingPathComponent("riverside-usd/attendance-2026-11-20.csv"), encoding: .utf8)
        let uploading = inbox.appendingPathComponent("riverside-usd/attendance-2026-11-21.csv")
        try (original.split(separator: "\n").prefix(20).joined(separator: "\n") + "\n").write(
            to: uploading, atomically: true, encoding: .utf8)
        try setModified(uploading, secondsBeforeRun: 5)
        let seen = try #require(
            try FileManager.default.attributesOfItem(atPath: uploading.path)[.modificationDate] as? Date)
        runAt = seen.addingTimeInterval(5)
        let clock = ["LASTMILE_NOW": Clock.iso8601(runAt)]

        try TestDatabase.withFreshDatabase { url in
            let run = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--database", url]
            let first = try LastMileBinary.run(run, in: workspace.root, environment: clock)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(
                first.stdout.contains(
                    "source riverside-usd: 1 file(s) read, 0 already loaded and skipped, 1 still being written"))
            #expect(first.stderr.contains("input still being written; left for the next run"))
            let db = try Connection(url)
            let loaded = "SELECT count(*) FROM lastmile.ingested_file WHERE file_name = 'attendance-2026-11-21.csv'"
            #expect(try db.execute(loaded).scalar == "0")
            #expect(Int(try db.execute("SELECT count(DISTINCT source) FROM lastmile.ingested_file").scalar ?? "") == 5)

            // The upload finished an hour ago: the next run loads it.
            try age(uploading)
            let second = try LastMileBinary.run(run, in: workspace.root, environment: clock)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("source riverside-usd: 1 file(s) read, 1 already loaded and skipped\n"))
            #expect(try db.execute(loaded).scalar == "1")
        }
    }
}

/// Appends rows to a file from a background thread until stopped: an SFTP upload still under way.
final class GrowingFile: @unchecked Sendable {
    private let url: URL
    private let rows: [String]
    private let lock = NSLock()
    private var running = true
    private(set) var appended = 0
    private let done = DispatchSemaphore(value: 0)

    init(_ url: URL, rows: [String]) {
        self.url = url
        self.rows = rows
        Thread.detachNewThread { [self] in
            let handle = try! FileHandle(forWritingTo: url)
            try! handle.seekToEnd()
            var n = 0
            while lock.withLock({ running }) {
                try! handle.write(contentsOf: Data((rows[n % rows.count] + "\n").utf8))
                n += 1
                lock.withLock { appended = n }
                usleep(200)
            }
            try! handle.close()
            done.signal()
        }
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }
}

extension FaultTests {
    @Test func anInputThatChangesWhileReadIsNotLoaded() throws {
        // No settle time configured: the check after reading is what catches the upload.
        let workspace = try SampleWorkspace()
        let inbox = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
        let original = try String(
            contentsOf: inbox.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8)
        let lines = original.split(separator: "\n").map(String.init)
        // The same students a day later, so the complete file is a valid new day.
        let nextDay = lines.dropFirst().map { $0.replacingOccurrences(of: ",2026-11-20,", with: ",2026-11-21,") }
        let uploading = inbox.appendingPathComponent("attendance-2026-11-21.csv")
        try (lines[0] + "\n" + nextDay.prefix(10).joined(separator: "\n") + "\n").write(
            to: uploading, atomically: true, encoding: .utf8)

        try TestDatabase.withFreshDatabase { url in
            let run = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--database", url]
            let upload = GrowingFile(uploading, rows: Array(nextDay.dropFirst(10)))
            let first = try LastMileBinary.run(run, in: workspace.root)
            upload.stop()
            #expect(upload.appended > 0)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stderr.contains("input changed while read; left for the next run"))
            #expect(
                first.stdout.contains(
                    "source riverside-usd: 1 file(s) read, 0 already loaded and skipped, 1 still being written"))
            let db = try Connection(url)
            let loaded = "SELECT count(*) FROM lastmile.ingested_file WHERE file_name = 'attendance-2026-11-21.csv'"
            #expect(try db.execute(loaded).scalar == "0")
            let days =
                "SELECT count(*) FROM lastmile.attendance_day WHERE source = 'riverside-usd' AND attendance_date = '2026-11-21'"
            #expect(try db.execute(days).scalar == "0")

            // The upload completes (whatever the appender reached, the file ends with the whole day) and the
            // next run loads the whole file once.
            let handle = try FileHandle(forWritingTo: uploading)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((nextDay.joined(separator: "\n") + "\n").utf8))
            try handle.close()
            let second = try LastMileBinary.run(run, in: workspace.root)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("source riverside-usd: 1 file(s) read, 1 already loaded and skipped\n"))
            #expect(try db.execute(loaded).scalar == "1")
            #expect(Int(try db.execute(days).scalar ?? "") ?? 0 > 0)
        }
    }
}
