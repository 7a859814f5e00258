// Proves the kept MPI index: read back or updated from changed patients, it links exactly as an index built
// from scratch; a corrupt, stale (model or format) or missing file is refused; the file is 0600 in a 0700
// directory.
import Foundation
import LastMileCore
import Testing

@testable import Matching

@Suite struct MPIIndexTests {
    static let world = SyntheticWorld(households: 400, seed: 11)
    static let model = ModelTrainer.train(MatchInputs(mpi: world.mpi, incoming: world.incoming))
    static let version = MPIIndexVersion(model: "model-a")

    /// Rows for `people`, ids `P00000`…; the row hash stands for the warehouse's (any value that changes with
    /// the demographics).
    static func rows(_ people: [PersonIdentity], ids: [String]? = nil) -> [MPIIndexRow] {
        people.enumerated().map { k, p in
            let id = ids?[k] ?? String(format: "P%05d", k)
            return MPIIndexRow(patientId: id, person: p, rowHash: Int64(bitPattern: UInt64(hash(p))))
        }
    }

    static func hash(_ p: PersonIdentity) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in DemographicsFingerprint.of(p).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func built(_ rows: [MPIIndexRow]) -> MPIIndex {
        var builder = MPIIndexBuilder()
        for batch in stride(from: 0, to: rows.count, by: 97) {
            builder.append(Array(rows[batch..<min(rows.count, batch + 97)]))
        }
        return builder.finish(changedUpTo: "2026-11-20 00:00:00+00")
    }

    /// Each incoming person's decision, candidate and runner-up named by patient id.
    static func decisions(_ index: MPIIndex, incoming: [PersonIdentity]) -> [String] {
        let inputs = MatchInputs(mpi: index.people, lexicon: index.takeLexicon(), incoming: incoming)
        let run = Linker(model: model, inputs: inputs, index: index.blocking, neverLink: [:]).link()
        return run.decisions.map { d in
            "\(d.incoming) \(d.decision) \(d.reason.rawValue) \(d.mpi.map { index.ids[$0] } ?? "-") "
                + "\(d.runnerUp.map { index.ids[$0] } ?? "-") \(String(format: "%.6f", d.probability))"
        }
    }

    /// The decisions of the matcher as the night made them before the kept index: both lists encoded together.
    static func referenceDecisions(_ rows: [MPIIndexRow], incoming: [PersonIdentity]) -> [String] {
        let sorted = rows.sorted { $0.patientId.utf8.lexicographicallyPrecedes($1.patientId.utf8) }
        let inputs = MatchInputs(mpi: sorted.compactMap(\.person), incoming: incoming)
        let run = Linker(model: model, inputs: inputs).link()
        return run.decisions.map { d in
            "\(d.incoming) \(d.decision) \(d.reason.rawValue) \(d.mpi.map { sorted[$0].patientId } ?? "-") "
                + "\(d.runnerUp.map { sorted[$0].patientId } ?? "-") \(String(format: "%.6f", d.probability))"
        }
    }

    /// The folder of this process's index directories, removed when the process exits.
    static let scratchRoot: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-index-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: MPIIndexTests.scratchRoot) }
        return url
    }()

    static func temporaryDirectory() -> URL {
        scratchRoot.appendingPathComponent(UUID().uuidString).appendingPathComponent("match-index")
    }

    @Test func aReadBackIndexLinksAsABuiltOne() throws {
        let rows = Self.rows(Self.world.mpi)
        let file = MPIIndexFile(directory: Self.temporaryDirectory())
        try file.write(Self.built(rows), version: Self.version)
        let back = try file.read(version: Self.version).get()
        #expect(back.count == rows.count)
        #expect(back.digest == Self.built(rows).digest)
        let expected = Self.referenceDecisions(rows, incoming: Self.world.incoming)
        #expect(expected.contains { $0.contains(" match ") })
        #expect(Self.decisions(back, incoming: Self.world.incoming) == expected)
    }

    @Test func anUpdatedIndexLinksAsOneBuiltFromTheNewMPI() throws {
        var rows = Self.rows(Self.world.mpi)
        let kept = Self.built(rows)
        // Tonight: one patient in ten changes address, one in 25 retires, and 30 new patients arrive (copies of
        // incoming people, so they take part in the matching), some with ids sorting between the old ones.
        var changes: [MPIIndexRow] = []
        for k in stride(from: 0, to: rows.count, by: 10) {
            var p = rows[k].person ?? PersonIdentity()
            p.street = "\(k) NEW ST"
            rows[k] = Self.rows([p], ids: [rows[k].patientId])[0]
            changes.append(rows[k])
        }
        for k in stride(from: 3, to: rows.count, by: 25) {
            changes.append(MPIIndexRow(patientId: rows[k].patientId, person: nil, rowHash: 0))
        }
        let retired = Set(stride(from: 3, to: rows.count, by: 25).map { rows[$0].patientId })
        rows.removeAll { retired.contains($0.patientId) }
        let added = Self.rows(
            Array(Self.world.incoming.prefix(30)), ids: (0..<30).map { String(format: "P%05d5", $0 * 7) })
        rows += added
        changes += added
        let applied = kept.apply(changes)
        #expect(applied == changes.count)
        #expect(kept.count == rows.count)
        #expect(kept.digest == Self.built(rows).digest)
        #expect(kept.ids == rows.map(\.patientId).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(
            Self.decisions(kept, incoming: Self.world.incoming)
                == Self.referenceDecisions(rows, incoming: Self.world.incoming))
    }

    /// Changes that add and retire no one are made in place: addresses, names and birth dates change (the keys
    /// of most rules move), and the index still links as one built from the new MPI.
    @Test func anIndexUpdatedInPlaceLinksAsOneBuiltFromTheNewMPI() throws {
        var rows = Self.rows(Self.world.mpi)
        let kept = Self.built(rows)
        let records = kept.people.records
        var changes: [MPIIndexRow] = []
        for k in stride(from: 0, to: rows.count, by: 7) {
            var p = rows[k].person ?? PersonIdentity()
            switch k % 3 {
            case 0: p.street = "\(k) NEW ST"
            case 1: (p.givenName, p.familyName) = (p.familyName, p.givenName)
            default: p.birthDate = p.birthDate?.adding(days: 31)
            }
            rows[k] = Self.rows([p], ids: [rows[k].patientId])[0]
            changes.append(rows[k])
        }
        #expect(kept.apply(changes) == changes.count)
        #expect(kept.count == rows.count)
        #expect(kept.digest == Self.built(rows).digest)
        #expect(kept.people.records != records)
        #expect(
            Self.decisions(kept, incoming: Self.world.incoming)
                == Self.referenceDecisions(rows, incoming: Self.world.incoming))
    }

    @Test func rowHashesAssignedAfterTheRowsMakeTheSameIndex() {
        let rows = Self.rows(Self.world.mpi).reversed().map { $0 }
        let unhashed = rows.map { MPIIndexRow(patientId: $0.patientId, person: $0.person, rowHash: 0) }
        var hashes = rows.map { (patientId: $0.patientId, rowHash: $0.rowHash) }
        // As a table scan after a COPY may give them: two rows moved ahead of their turn.
        hashes.insert(hashes.remove(at: 300), at: 20)
        hashes.insert(hashes.remove(at: 301), at: 21)
        var builder = MPIIndexBuilder()
        builder.append(unhashed)
        var assignment = MPIIndexBuilder.RowHashAssignment()
        builder.assignRowHashes(Array(hashes.prefix(100)), &assignment)
        builder.assignRowHashes(Array(hashes.dropFirst(100)), &assignment)
        let assigned = builder.assignedAllRowHashes(&assignment)
        #expect(assigned)
        let index = builder.finish(changedUpTo: "2026-11-20 00:00:00+00")
        #expect(index.image().rowHashes == Self.built(rows).image().rowHashes)

        // A row missing, one twice, or one the builder never saw: refused.
        for wrong in [
            Array(hashes.dropLast()), hashes + [hashes[5]],
            Array(hashes.dropLast()) + [(patientId: "Q-unknown", rowHash: 1)],
        ] {
            var other = MPIIndexBuilder()
            other.append(unhashed)
            var state = MPIIndexBuilder.RowHashAssignment()
            other.assignRowHashes(wrong, &state)
            let assigned = other.assignedAllRowHashes(&state)
            #expect(!assigned)
        }
    }

    @Test func keyColumnsSortAsTheirPairsDo() {
        var generator = SystemRandomNumberGenerator()
        for (count, distinct) in [(0, 1), (1, 1), (5_000, 7), (20_000, 50_000), (20_000, 1 << 40)] {
            // Keys with high bytes shared (as blocking keys have), many repeated; members in increasing order.
            let keys = (0..<count).map { _ in
                0x4142_0000_0000_0000 | UInt64.random(in: 0..<UInt64(distinct), using: &generator)
            }
            let members = (0..<count).map { Int32($0) }
            let sorted = KeyColumn.sortedByKey(keys: keys, members: members)
            let pairs = zip(keys, members).sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            #expect(sorted.keys == pairs.map(\.0))
            #expect(sorted.members == pairs.map(\.1))
        }
    }

    @Test func aPermutationIsAppliedInPlace() {
        var values = ["a", "b", "c", "d", "e", "f"]
        MPIIndexBuilder.permute(&values, by: [3, 0, 1, 2, 5, 4])
        #expect(values == ["d", "a", "b", "c", "f", "e"])
        var none: [Int] = []
        MPIIndexBuilder.permute(&none, by: [])
        #expect(none.isEmpty)
    }

    @Test func aKeyColumnIsRewrittenInOrder() {
        let column = KeyColumn(keys: [1, 1, 2, 5, 5, 9], members: [0, 4, 2, 1, 3, 6])
        let dropped: Set<Int32> = [4, 1, 6]
        let edited = KeyColumn.rewritten(
            column, member: { dropped.contains($0) ? nil : $0 }, inserting: [(0, 4), (5, 2), (7, 6)])
        #expect(edited.keys == [0, 1, 2, 5, 5, 7])
        #expect(edited.members == [4, 0, 2, 2, 3, 6])
        // Renumbered as an update with retirements does it: the order of members is kept.
        let renumbered = KeyColumn.rewritten(column, member: { $0 == 3 ? nil : $0 * 2 }, inserting: [])
        #expect(renumbered.keys == [1, 1, 2, 5, 9])
        #expect(renumbered.members == [0, 8, 4, 2, 12])
    }

    @Test func positionsAreInUTF8ByteOrderAndFound() {
        let ids = ["b", "a", "ab", "é", "Z", "a\u{301}", ""]
        let index = Self.built(Self.rows(Array(Self.world.mpi.prefix(ids.count)), ids: ids))
        #expect(index.ids == ["", "Z", "a", "ab", "a\u{301}", "b", "é"])
        for id in ids { #expect(index.ids[index.position(of: id) ?? -1] == id) }
        #expect(index.position(of: "aa") == nil)
        #expect(index.position(of: "é\u{0}") == nil)
    }

    @Test func unchangedRowsChangeNothing() {
        let rows = Self.rows(Self.world.mpi)
        let kept = Self.built(rows)
        #expect(kept.apply(Array(rows.prefix(50))) == 0)
        #expect(kept.apply([MPIIndexRow(patientId: "Q-not-there", person: nil, rowHash: 1)]) == 0)
    }

    @Test func aCorruptFileIsRefused() throws {
        let file = MPIIndexFile(directory: Self.temporaryDirectory())
        try file.write(Self.built(Self.rows(Self.world.mpi)), version: Self.version)
        var data = try Data(contentsOf: file.path)
        data[data.count / 2] ^= 0x40
        try data.write(to: file.path)
        #expect(Self.problem(file.read(version: Self.version)) == .corrupt)
        try data.prefix(data.count / 3).write(to: file.path)
        #expect(Self.problem(file.read(version: Self.version)) == .corrupt)
        try Data("not an index".utf8).write(to: file.path)
        #expect(Self.problem(file.read(version: Self.version)) == .corrupt)
    }

    @Test func anotherModelOrNoFileIsRefused() throws {
        let file = MPIIndexFile(directory: Self.temporaryDirectory())
        #expect(Self.problem(file.read(version: Self.version)) == .missing)
        try file.write(Self.built(Self.rows(Self.world.mpi)), version: Self.version)
        #expect(Self.problem(file.read(version: MPIIndexVersion(model: "model-b"))) == .stale)
        #expect(Self.problem(file.read(version: Self.version)) == nil)
    }

    @Test func theFileIsPrivate() throws {
        let directory = Self.temporaryDirectory()
        let file = MPIIndexFile(directory: directory)
        try file.write(Self.built(Self.rows(Array(Self.world.mpi.prefix(20)))), version: Self.version)
        let fileMode = try FileManager.default.attributesOfItem(atPath: file.path.path)[.posixPermissions] as? Int
        let directoryMode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(directoryMode == 0o700)
        // Written again over an existing file: still 0600, and no temporary file left behind.
        try file.write(Self.built(Self.rows(Array(Self.world.mpi.prefix(20)))), version: Self.version)
        let again = try FileManager.default.attributesOfItem(atPath: file.path.path)[.posixPermissions] as? Int
        #expect(again == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["mpi-index.bin"])
    }

    static func problem(_ result: Result<MPIIndex, MPIIndexFileProblem>) -> MPIIndexFileProblem? {
        if case .failure(let p) = result { return p }
        return nil
    }
}
