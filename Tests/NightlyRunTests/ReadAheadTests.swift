// Proves the reading ahead of the sources' files (on a second thread while the reference data loads): a bad MPI
// file still fails the night before anything of the sources is written, and what was read ahead is used only
// for a file still in the state it was read in, so a file replaced since is read again.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@testable import Pipeline

@Suite(.serialized) struct ReadAheadTests {
    static func count(_ connection: Connection, _ sql: String) throws -> Int {
        Int(try connection.execute(sql).scalar ?? "") ?? -1
    }

    @Test func aBadMPIFileFailsTheNightAndNothingOfTheSourcesReadAheadIsWritten() throws {
        let workspace = try SampleWorkspace()
        let mpi = workspace.sampleData.appendingPathComponent("mpi.csv")
        let original = try Data(contentsOf: mpi)
        let header = "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn\n"
        try Data((header + "P000101,Zelda,Marchetti,09/07/2014,F,,,,,,\n").utf8).write(to: mpi)
        try TestDatabase.withFreshDatabase { url in
            let connection = try prepareWarehouse(url, workspace: workspace)
            #expect(throws: ReferenceDataError.self) { try runNight(workspace, connection) }
            for table in ["ingested_file", "attendance_day", "shelter_stay", "booking", "source_crosswalk", "flag"] {
                #expect(try Self.count(connection, "SELECT count(*) FROM lastmile.\(table)") == 0, "\(table)")
            }
            #expect(try connection.execute("SELECT status FROM lastmile.run").scalar == "failed")

            // With the MPI fixed, the next night reads and loads every source's files.
            try original.write(to: mpi)
            let night = try runNight(workspace, connection)
            #expect(night.failedSources.isEmpty)
            #expect(try Self.count(connection, "SELECT count(DISTINCT source) FROM lastmile.ingested_file") == 5)
            #expect(try Self.count(connection, "SELECT count(*) FROM lastmile.attendance_day") > 0)
        }
    }

    @Test func aFileReadAheadIsTakenOnlyInTheStateItWasReadIn() throws {
        let workspace = try SampleWorkspace()
        let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
        let source = try #require(config.sources.first { $0.name == "county-jail" })
        let path = try #require(InputFiles.matching(source.input ?? "").first)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let gate1 = PreReadInputs.Gate1(
            gate: try config.consentGate(on: sampleAsOf, sources: nil), purpose: config.purpose, asOf: sampleAsOf)

        let ahead = PreReadInputs(sources: [source], alreadyLoaded: [:], settleSeconds: 0, now: now, gate1: gate1)
        ahead.wait()
        let state = InputFiles.state(path)
        let sha256 = try InputFiles.sha256(path).hex
        #expect(ahead.checksum(source: source.name, path: path, state: state)?.hex == sha256)
        let sink = try #require(ahead.take(source: source.name, path: path, state: state, sha256: sha256)).get()
        // Gate 1 applied as read; a delta source's records then live on only as the admitted ones.
        let admitted = try #require(sink.gate1).admitted.joined()
        #expect(sink.recordCount > 0 && !admitted.isEmpty && admitted.count <= sink.recordCount)
        #expect(source.feed.snapshot == .full || sink.records.isEmpty)
        #expect(ahead.take(source: source.name, path: path, state: state, sha256: sha256) == nil, "taken once")

        // Read ahead, then replaced (one row fewer): the new state does not take the old rows.
        let again = PreReadInputs(sources: [source], alreadyLoaded: [:], settleSeconds: 0, now: now, gate1: gate1)
        again.wait()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        try lines.dropLast(2).joined(separator: "\n").appending("\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        let replaced = InputFiles.state(path)
        let replacedSha = try InputFiles.sha256(path).hex
        #expect(replaced != state)
        #expect(again.checksum(source: source.name, path: path, state: replaced) == nil)
        #expect(again.take(source: source.name, path: path, state: replaced, sha256: replacedSha) == nil)

        // A file the ledger already holds is not read ahead; its checksum is kept for the extract stage.
        let loaded = PreReadInputs(
            sources: [source], alreadyLoaded: [source.name: [replacedSha]], settleSeconds: 0, now: now, gate1: gate1)
        loaded.wait()
        #expect(loaded.checksum(source: source.name, path: path, state: replaced)?.hex == replacedSha)
        #expect(loaded.take(source: source.name, path: path, state: replaced, sha256: replacedSha) == nil)
    }
}
