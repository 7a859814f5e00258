// Proves that benchmark worlds are deterministic, consistent (truth ↔ files), near the requested shape, and hold
// the hard cases a matcher must handle: twins, juniors, nicknames and household members without an MPI record.
import Foundation
import LastMileCore
import Testing

@testable import SampleData

@Suite struct BenchmarkWorldTests {
    static let asOf = CivilDate(year: 2026, month: 11, day: 20)!

    @Test func splitMix64MatchesTheReferenceSequence() {
        // First outputs of the published SplitMix64 for seed 0.
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func sameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws {
        let a = temporaryDirectory("bench-a")
        let b = temporaryDirectory("bench-b")
        let c = temporaryDirectory("bench-c")
        try BenchmarkWorld.generate(BenchmarkOptions(mpiSize: 3000, seed: 42, asOf: Self.asOf), into: a)
        try BenchmarkWorld.generate(BenchmarkOptions(mpiSize: 3000, seed: 42, asOf: Self.asOf), into: b)
        try BenchmarkWorld.generate(BenchmarkOptions(mpiSize: 3000, seed: 43, asOf: Self.asOf), into: c)
        for file in ["mpi.csv", "incoming.csv", "truth.csv"] {
            let first = try Data(contentsOf: URL(fileURLWithPath: a + "/" + file))
            #expect(first == (try Data(contentsOf: URL(fileURLWithPath: b + "/" + file))), "\(file) differs")
            #expect(first != (try Data(contentsOf: URL(fileURLWithPath: c + "/" + file))), "\(file) ignores the seed")
        }
    }

    @Test func filesAreConsistentAndNearTheRequestedShape() throws {
        let dir = temporaryDirectory("bench-shape")
        let summary = try BenchmarkWorld.generate(
            BenchmarkOptions(mpiSize: 8000, incomingRatio: 0.5, notInMPI: 0.3, seed: 5, asOf: Self.asOf), into: dir)
        let mpi = try CSVTable(path: dir + "/mpi.csv")
        let incoming = try CSVTable(path: dir + "/incoming.csv")
        let truth = try CSVTable(path: dir + "/truth.csv")
        #expect(mpi.header == BenchmarkWorld.header)
        #expect(incoming.header == BenchmarkWorld.header)
        #expect(truth.header == ["incoming_id", "mpi_id"])
        #expect(mpi.rows.count == 8000)
        #expect(summary.mpiRecords == 8000)
        #expect(incoming.rows.count == summary.incomingRecords)
        #expect(abs(Double(incoming.rows.count) / 8000 - 0.5) < 0.05)
        #expect(mpi.rows.allSatisfy { $0.count == 11 } && incoming.rows.allSatisfy { $0.count == 11 })

        let mpiIds = Set(mpi.rows.map { $0[0] })
        #expect(mpiIds.count == mpi.rows.count, "MPI ids are unique")
        let incomingIds = incoming.rows.map { $0[0] }
        #expect(Set(incomingIds).count == incomingIds.count, "incoming ids are unique")
        #expect(truth.rows.map { $0[0] } == incomingIds, "truth has one row per incoming record, in order")
        let linked = truth.rows.map { $0[1] }.filter { !$0.isEmpty }
        #expect(linked.allSatisfy { mpiIds.contains($0) }, "every truth mpi_id is in mpi.csv")
        let notInMPI = Double(truth.rows.count - linked.count) / Double(truth.rows.count)
        #expect(abs(notInMPI - 0.3) < 0.03, "not-in-MPI share \(notInMPI)")
    }

    @Test func hardCasesArePresent() throws {
        let dir = temporaryDirectory("bench-hard")
        try BenchmarkWorld.generate(BenchmarkOptions(mpiSize: 8000, seed: 11, asOf: Self.asOf), into: dir)
        let mpi = try CSVTable(path: dir + "/mpi.csv").dictionaries
        let incoming = try CSVTable(path: dir + "/incoming.csv").dictionaries
        let truth = try CSVTable(path: dir + "/truth.csv").rows
        let mpiById = Dictionary(uniqueKeysWithValues: mpi.map { ($0["id"]!, $0) })
        let incomingById = Dictionary(uniqueKeysWithValues: incoming.map { ($0["id"]!, $0) })
        func bare(_ family: String) -> String {
            family.replacingOccurrences(of: " Jr", with: "").replacingOccurrences(of: " Sr", with: "")
        }

        // Twins: two patients with one family name, birth date and postal code but different given names.
        let byBirth = Dictionary(grouping: mpi) {
            "\(bare($0["family_name"]!))|\($0["birth_date"]!)|\($0["postal_code"]!)"
        }
        let twins = byBirth.values.filter { group in
            group.count >= 2 && Set(group.map { $0["given_name"]! }).count >= 2 && !group[0]["birth_date"]!.isEmpty
        }
        #expect(twins.count >= 5, "twin pairs: \(twins.count)")

        // Juniors: same given and family name at the same street, a generation apart.
        let byName = Dictionary(grouping: mpi) { "\($0["given_name"]!)|\(bare($0["family_name"]!))|\($0["street"]!)" }
        let juniors = byName.values.filter { group in
            let years = group.compactMap { Int($0["birth_date"]!.prefix(4)) }
            return group.count >= 2 && (years.max() ?? 0) - (years.min() ?? 0) >= 15
        }
        #expect(juniors.count >= 3, "junior pairs: \(juniors.count)")

        // Nicknames: a true pair whose given names are a formal name and one of its nicknames.
        let nicknamePairs = truth.filter { row in
            guard !row[1].isEmpty, let m = mpiById[row[1]], let i = incomingById[row[0]] else { return false }
            let formal = m["given_name"]!
            return NameLists.nicknames[formal]?.contains(i["given_name"]!) == true
        }
        #expect(nicknamePairs.count >= 20, "nickname pairs: \(nicknamePairs.count)")

        // Households: most people without an MPI record share a family name and postal code with a patient.
        let patientKeys = Set(
            mpi.map { "\(bare($0["family_name"]!).split(separator: " ").first ?? "")|\($0["postal_code"]!)" })
        let outsiders = truth.filter { $0[1].isEmpty }.compactMap { incomingById[$0[0]] }
        let housemates = outsiders.filter { i in
            patientKeys.contains("\(bare(i["family_name"]!).split(separator: " ").first ?? "")|\(i["postal_code"]!)")
        }
        #expect(
            Double(housemates.count) / Double(outsiders.count) > 0.6,
            "housemates \(housemates.count)/\(outsiders.count)")

        // Placeholder SSNs and day/month-swapped birth dates appear in true pairs.
        let placeholders = incoming.filter {
            ["123-45-6789", "123456789", "000-00-0000", "000000000"].contains($0["ssn"]!)
        }
        #expect(!placeholders.isEmpty)
        let swapped = truth.filter { row in
            guard !row[1].isEmpty, let m = mpiById[row[1]], let i = incomingById[row[0]],
                let a = CivilDate(iso: m["birth_date"]!), let b = CivilDate(iso: i["birth_date"]!)
            else { return false }
            return a.year == b.year && a.month == b.day && a.day == b.month && a.month != a.day
        }
        #expect(swapped.count >= 10, "day/month swaps: \(swapped.count)")
    }

    @Test func invalidOptionsAreRefused() {
        #expect(throws: SampleDataError.self) {
            try BenchmarkOptions(mpiSize: 0, seed: 1, asOf: Self.asOf).validate()
        }
        #expect(throws: SampleDataError.self) {
            try BenchmarkOptions(mpiSize: 10, notInMPI: 1.2, seed: 1, asOf: Self.asOf).validate()
        }
    }

    @Test func idPermutationIsABijection() {
        let ids = IdPermutation(prefix: "P", capacity: 1000, minimumWidth: 3)
        let all = (0..<1000).map(ids.id)
        #expect(Set(all).count == 1000)
        #expect(all.allSatisfy { $0.count == 4 && $0.hasPrefix("P") })
    }
}
