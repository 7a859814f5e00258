// Proves training recovers the parameters of the process that generated the data (the Splink way), that
// blocking keeps the pairs it promises, and that linking is deterministic, sends ties to review and does not
// auto-link a sibling who shares a patient's household.
import LastMileCore
import Testing

@testable import Matching

@Suite struct ModelTests {
    static let world = SyntheticWorld(households: 1500, seed: 7)
    static let inputs = MatchInputs(mpi: world.mpi, incoming: world.incoming)
    static let model = ModelTrainer.train(
        inputs,
        options: {
            var o = TrainingOptions()
            o.randomPairs = 400_000
            return o
        }())

    @Test func emRecoversKnownM() throws {
        // Given names were corrupted with probability 0.1 (one letter; a few land on another name), birth
        // dates with 0.1 (half day/month swaps where possible, else a year off).
        let given = try #require(Self.model.comparison(.givenName))
        #expect(abs(given.levels[0].m - 0.9) < 0.04, "m(given exact) = \(given.levels[0].m)")
        let birth = try #require(Self.model.comparison(.birthDate))
        #expect(abs(birth.levels[0].m - 0.9) < 0.04, "m(birth exact) = \(birth.levels[0].m)")
        let sex = try #require(Self.model.comparison(.sex))
        #expect(sex.levels[0].m > 0.97)
        // u of sex agreement is about one half for random pairs.
        #expect(abs(sex.levels[0].u - 0.5) < 0.03)
    }

    @Test func priorIsNearTheTrueMatchRate() {
        let trueRate =
            Double(Self.world.truth.count) / (Double(Self.world.mpi.count) * Double(Self.world.incoming.count))
        let estimated = Self.model.probabilityTwoRandomRecordsMatch
        #expect(estimated > trueRate / 1.6 && estimated < trueRate * 1.6, "λ \(estimated) vs \(trueRate)")
    }

    @Test func householdUIsLearnedFromTheMPI() throws {
        // Relatives share family names: among household pairs family agreement is common, among random pairs rare.
        let family = try #require(Self.model.comparison(.familyName))
        let uh = try #require(family.levels[0].uHousehold)
        #expect(uh > 0.5)
        #expect(family.levels[0].u < 0.1)
    }

    @Test func modelRoundTripsThroughJSON() throws {
        let data = try Self.model.jsonData()
        let back = try FellegiSunterModel.load(json: data)
        #expect(back.comparisons.map(\.field) == Self.model.comparisons.map(\.field))
        for (a, b) in zip(back.comparisons, Self.model.comparisons) {
            for (x, y) in zip(a.levels, b.levels) {
                #expect(abs(x.m - y.m) <= 1e-5 * y.m && abs(x.u - y.u) <= 1e-5 * y.u)
            }
        }
        var broken = Self.model
        broken.comparisons[0].levels.removeLast()
        #expect(throws: ModelError.self) { try FellegiSunterModel.load(json: try broken.jsonData()) }
    }

    @Test func blockingNeverDropsSameBirthDateAndFamilyName() {
        // A tiny block cap forces every cappable rule to skip; the uncapped rules must still find the pairs.
        let linker = Linker(model: Self.model, inputs: Self.inputs, maxBlockSize: 1)
        let found = Set(linker.score(0..<Self.inputs.incoming.count).scored.indices)
        #expect(found.count == Self.inputs.incoming.count)
        var pairsChecked = 0
        for i in 0..<Self.world.incoming.count {
            let candidates = Set(linker.candidates(i).map(Int.init))
            for (j, p) in Self.world.mpi.enumerated()
            where p.birthDate != nil && p.birthDate == Self.world.incoming[i].birthDate
                && Normalizer.normalize(p).familyName == Normalizer.normalize(Self.world.incoming[i]).familyName
            {
                #expect(candidates.contains(j))
                pairsChecked += 1
            }
        }
        #expect(pairsChecked > 100)
    }

    @Test func linkingIsDeterministicAndPrecise() {
        let a = Linker(model: Self.model, inputs: Self.inputs).link()
        let b = Linker(model: Self.model, inputs: MatchInputs(mpi: Self.world.mpi, incoming: Self.world.incoming))
            .link()
        #expect(a.decisions == b.decisions)
        let links = a.decisions.filter { $0.decision == .match }
        let correct = links.filter { Self.world.truth[$0.incoming] == $0.mpi }.count
        #expect(Double(correct) / Double(links.count) >= 0.99, "precision \(correct)/\(links.count)")
        #expect(Double(correct) / Double(Self.world.truth.count) >= 0.85, "recall \(correct)/\(Self.world.truth.count)")
        #expect(a.blocking.candidatePairs > 0)
        #expect((a.blocking.estimatedRecall ?? 0) > 0.95)
    }

    @Test func siblingsNotInTheMPIDoNotAutoLink() {
        let run = Linker(model: Self.model, inputs: Self.inputs).link()
        #expect(Self.world.siblingsNotInMPI.count > 50)
        let wrong = Self.world.siblingsNotInMPI.filter { run.decisions[$0].decision == .match }
        #expect(wrong.isEmpty, "\(wrong.count) siblings auto-linked")
    }

    @Test func aSiblingSharingEverythingButGivenNameAndBirthDateDoesNotLink() {
        let home = PersonIdentity(
            familyName: "Okonkwo", sex: .female, street: "12 Oak Street", city: "Riverside", state: "CA",
            postalCode: "94110", phone: "415-555-2671")
        var sister = home
        sister.givenName = "Adaeze"
        sister.birthDate = CivilDate(year: 2014, month: 5, day: 2)
        var brother = home
        brother.givenName = "Chidi"
        brother.birthDate = CivilDate(year: 2016, month: 9, day: 17)
        brother.sex = .male
        var incomingSister = home
        incomingSister.givenName = "Ngozi"
        incomingSister.birthDate = CivilDate(year: 2012, month: 1, day: 30)
        let inputs = MatchInputs(mpi: Self.world.mpi + [sister, brother], incoming: [incomingSister, sister])
        let run = Linker(model: Self.model, inputs: inputs).link()
        #expect(run.decisions[0].decision == .noMatch)
        #expect(run.decisions[1].decision == .match)
        #expect(run.decisions[1].mpi == Self.world.mpi.count)
        let explanation = Linker(model: Self.model, inputs: inputs).explain(incoming: 0, mpi: Self.world.mpi.count)
        #expect(explanation.sharesHousehold)
        #expect(
            explanation.fields.filter { ["street", "phone", "postal_code", "city"].contains($0.field) }.allSatisfy {
                $0.weight <= 0
            })
    }

    @Test func nearTiesGoToReview() {
        let person = PersonIdentity(
            givenName: "Temperance", familyName: "Wainwright", birthDate: CivilDate(year: 2011, month: 6, day: 9),
            sex: .female, street: "88 Cedar Lane", postalCode: "94120", phone: "415-555-9812")
        // The same person registered twice in the MPI: an auto-link would pick one arbitrarily.
        let inputs = MatchInputs(mpi: Self.world.mpi + [person, person], incoming: [person])
        let run = Linker(model: Self.model, inputs: inputs).link()
        #expect(run.decisions[0].decision == .review)
        #expect(run.decisions[0].reason == .nearTie)
        #expect(run.decisions[0].probability > 0.99)
    }
}
