// Proves the matcher's MPI index kept beside the warehouse: a night whose MPI and model are unchanged reads it,
// a changed patient updates it, a changed model, a corrupt file or a change it cannot see rebuild it, and a
// night matched with the read-back index loads exactly what a night without one loads.
import Foundation
import LastMileCore
import Logging
import Pipeline
import SampleData
import Store
import TestSupport
import Testing
import Warehouse

/// Keeps the `mpi_index` metadata of every "MPI index ready" line.
final class IndexLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(how: String, changed: String, reason: String)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.message.description == "MPI index ready", let m = event.metadata else { return }
        lock.lock()
        defer { lock.unlock() }
        lines.append(
            (
                m["mpi_index"]?.description ?? "", m["patients.changed"]?.description ?? "",
                m["mpi_index.reason"]?.description ?? ""
            ))
    }

    /// The last line, and forgets the others.
    func last() -> (how: String, changed: String, reason: String)? {
        lock.lock()
        defer { lock.unlock() }
        defer { lines = [] }
        return lines.last
    }
}

@Suite(.serialized) struct KeptMPIIndexTests {
    func night(
        _ workspace: SampleWorkspace, _ db: Connection, keptIn directory: URL?, log: IndexLog = IndexLog(),
        rewriteAfter: Int? = nil
    ) throws -> RunSummary {
        let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
        var options = RunOptions(asOf: sampleAsOf, clock: nightClock(sampleAsOf))
        options.matchIndexDirectory = directory
        options.matchIndexRewriteAfter = rewriteAfter
        return try NightlyRun(config: config, options: options, logger: Logger(label: "test") { _ in log })
            .run(connection: db)
    }

    @Test func keptWhenUnchangedUpdatedRebuiltAndPrivate() throws {
        let workspace = try SampleWorkspace()
        let directory = workspace.root.appendingPathComponent(".lastmile/match-index")
        let file = directory.appendingPathComponent("mpi-index.bin")
        let log = IndexLog()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last()?.how == "built during the MPI load")
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last()?.how == "kept")

            // A patient moves (as an MPI import writes it: new demographics, a new change time).
            try db.execute(
                """
                UPDATE lastmile.patient SET street = '1 KEPT INDEX ST', updated_at = now()
                WHERE patient_id = (SELECT min(patient_id) FROM lastmile.patient WHERE active)
                """)
            _ = try night(workspace, db, keptIn: directory, log: log)
            let updated = log.last()
            #expect(updated?.how == "updated")
            #expect(updated?.changed == "1")

            // Below the rewrite threshold the file is left as it was: each night applies every change since.
            let written = try Data(contentsOf: file)
            try db.execute(
                """
                UPDATE lastmile.patient SET street = '2 KEPT INDEX ST', updated_at = now()
                WHERE patient_id = (SELECT min(patient_id) FROM lastmile.patient WHERE active AND street <> '1 KEPT INDEX ST')
                """)
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last().map { ($0.how, $0.changed) } ?? ("", "") == ("updated", "2"))
            #expect(try Data(contentsOf: file) == written)
            // Past it, the updated index is written back, and the next night keeps it as it is.
            _ = try night(workspace, db, keptIn: directory, log: log, rewriteAfter: 1)
            #expect(log.last().map { ($0.how, $0.changed) } ?? ("", "") == ("updated and rewritten", "2"))
            #expect(try Data(contentsOf: file) != written)
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last()?.how == "kept")

            // A change the change time does not show is still seen: the digest differs, so the index is rebuilt.
            try db.execute(
                """
                UPDATE lastmile.patient SET city = 'ELSEWHERE', updated_at = '2000-01-01T00:00:00Z'
                WHERE patient_id = (SELECT max(patient_id) FROM lastmile.patient WHERE active)
                """)
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last()?.how == "rebuilt")

            // A corrupt file is rebuilt, never read.
            var data = try Data(contentsOf: file)
            data[data.count / 2] ^= 0x01
            try data.write(to: file)
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last().map { ($0.how, $0.reason) } ?? ("", "") == ("rebuilt", "corrupt"))
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last()?.how == "kept")

            // Another model: rebuilt.
            let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
            let model = try #require(config.matchModelPath)
            try (try Data(contentsOf: URL(fileURLWithPath: model)) + Data("\n".utf8))
                .write(to: URL(fileURLWithPath: model))
            _ = try night(workspace, db, keptIn: directory, log: log)
            #expect(log.last().map { ($0.how, $0.reason) } ?? ("", "") == ("rebuilt", "stale"))
        }
    }

    @Test func theIndexBuiltDuringTheFirstMPILoadIsTheOneBuiltFromTheWarehouse() throws {
        let workspace = try SampleWorkspace()
        let duringLoad = workspace.root.appendingPathComponent("during-load")
        let fromWarehouse = workspace.root.appendingPathComponent("from-warehouse")
        let log = IndexLog()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try night(workspace, db, keptIn: duringLoad, log: log)
            #expect(log.last()?.how == "built during the MPI load")
            // The same warehouse the next night (the MPI snapshot unchanged, so skipped): no kept file in this
            // directory, so the index is built from the patient table, and written.
            _ = try night(workspace, db, keptIn: fromWarehouse, log: log)
            #expect(log.last().map { ($0.how, $0.reason) } ?? ("", "") == ("rebuilt", "missing"))
        }
        let name = "mpi-index.bin"
        let a = try Data(contentsOf: duringLoad.appendingPathComponent(name))
        let b = try Data(contentsOf: fromWarehouse.appendingPathComponent(name))
        #expect(a.count > 10_000)
        #expect(a == b)
    }

    /// A delta applied after the first load (in the same refresh) changed a patient: the load's rows are stale,
    /// so the index is built from the warehouse (the stale one would pass the digest check: its hashes are read
    /// from the table).
    @Test func aDeltaAfterTheFirstMPILoadHasTheIndexBuiltFromTheWarehouse() throws {
        let workspace = try SampleWorkspace()
        let mpi = try String(contentsOf: workspace.sampleData.appendingPathComponent("mpi.csv"), encoding: .utf8)
        let lines = mpi.split(separator: "\n")
        var moved = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        moved[5] = "9 Delta Moved Rd"
        try Data("\(lines[0]),change\n\(moved.joined(separator: ",")),updated\n".utf8).write(
            to: workspace.sampleData.appendingPathComponent("mpi-delta.csv"))
        try workspace.edit(
            "pipelines/nightly.yaml", replacing: "  mpi: ../sample-data/mpi.csv",
            with: "  mpi: ../sample-data/mpi.csv\n  mpi_delta: [../sample-data/mpi-delta.csv]")
        let log = IndexLog()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try night(workspace, db, keptIn: workspace.root.appendingPathComponent("index"), log: log)
            #expect(summary.reference["mpi.delta.changed"] == 1)
            #expect(log.last().map { ($0.how, $0.reason) } ?? ("", "") == ("rebuilt", "missing"))
        }
    }

    @Test func aNightMatchedWithTheKeptIndexLoadsWhatANightWithoutOneLoads() throws {
        let workspace = try SampleWorkspace()
        let directory = workspace.root.appendingPathComponent("kept/match-index")
        // The index kept by one warehouse's night is the index of the same MPI in another (the digest says so).
        try TestDatabase.withFreshDatabase { url in
            _ = try night(workspace, try prepareWarehouse(url, workspace: workspace), keptIn: directory)
        }
        let log = IndexLog()
        let kept = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try night(workspace, db, keptIn: directory, log: log)
            return (summary.sources.map(\.loaded), try loadedRows(db))
        }
        #expect(log.last()?.how == "kept")
        let none = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try night(workspace, db, keptIn: nil)
            return (summary.sources.map(\.loaded), try loadedRows(db))
        }
        #expect(kept.0 == none.0)
        #expect(kept.1 == none.1)
    }
}
