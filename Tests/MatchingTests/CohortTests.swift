// Training on a crowded MPI: many strangers share a birth date, and given names follow birth cohorts and tell the
// sex. EM must not take strangers who share a given name and a birth date (or a given name and a birth year) for
// matches whose family name, address or birth date changed.
import LastMileCore
import Testing

@testable import Matching

@Suite struct CohortTests {
    /// Two birth cohorts (1990 and 2015), each with its own ten female and ten male given names; birth dates in
    /// the first 60 days of the year, so about 50 patients share each one. Every person has their own family name
    /// and street (random letters). Half the incoming records are patients copied unchanged but for a few birth-day typos and
    /// moves; the other half are strangers drawn the same way.
    static let world: (mpi: [PersonIdentity], incoming: [PersonIdentity], copies: Int) = {
        var rng = SplitMix64(seed: 15)
        var serial = 0
        func person() -> PersonIdentity {
            serial += 1
            let cohort = Int(rng.next() % 2)
            let female = rng.next() % 2 == 0
            // SyntheticWorld.givenNames: 20 female names, then male ones; ten of each per cohort.
            let given = SyntheticWorld.givenNames[(female ? 0 : 20) + cohort * 10 + Int(rng.next() % 10)]
            let family = String(decoding: (0..<8).map { _ in 65 + UInt8(rng.next() % 26) }, as: UTF8.self)
            let birth = CivilDate(year: cohort == 0 ? 1990 : 2015, month: 1, day: 1)!.adding(
                days: Int(rng.next() % 60))
            return PersonIdentity(
                givenName: given, familyName: family, birthDate: birth, sex: female ? .female : .male,
                street: "\(serial) OAK ST", city: "RIVERSIDE", state: "CA", postalCode: "94\(100 + serial % 800)")
        }
        let mpi = (0..<6_000).map { _ in person() }
        var incoming: [PersonIdentity] = []
        for k in 0..<1_500 {
            var copy = mpi[k * 4]
            if rng.next() % 20 == 0, let d = copy.birthDate { copy.birthDate = d.adding(days: 1) }
            if rng.next() % 5 == 0 { copy.street = "\(90_000 + k) ELM ST" }
            incoming.append(copy)
        }
        incoming += (0..<1_500).map { _ in person() }
        return (mpi, incoming, 1_500)
    }()

    static let inputs = MatchInputs(mpi: world.mpi, incoming: world.incoming)

    static let model = ModelTrainer.train(
        inputs,
        options: {
            var o = TrainingOptions()
            o.randomPairs = 400_000
            return o
        }())

    @Test func strangersBornTheSameYearShareGivenNamesMoreOftenThanRandomPairs() throws {
        let cohort = try #require(ModelTrainer.sameBirthYearGivenLevels(Self.inputs, pairs: 200_000, seed: 1))
        let random = try #require(Self.model.comparison(.givenName)).levels[0].u
        // One cohort's 20 names: 1 in 20 strangers born the same year share one; across cohorts 1 in 40.
        #expect(abs(cohort[0] - 0.05) < 0.01, "u(given exact | same year) = \(cohort[0])")
        #expect(abs(random - 0.025) < 0.006, "u(given exact) = \(random)")
    }

    @Test func namesakesAreBornInTheSameCohort() throws {
        let levels = try #require(ModelTrainer.sameGivenNameBirthLevels(Self.inputs, pairs: 200_000, seed: 1))
        // Strangers with one given name are born in the same year: none differs by more than a year.
        #expect(levels.last! < 0.01, "u(birth else | same given name) = \(levels.last!)")
    }

    @Test func strangersSharingGivenNameAndBirthDateAreNotTakenForMatches() throws {
        // No copy's family name changed: a family name that differs is a stranger's (before: m 0.81).
        let family = try #require(Self.model.comparison(.familyName))
        #expect(family.levels.last!.m < 0.15, "m(family else) = \(family.levels.last!.m)")
        let street = try #require(Self.model.comparison(.street))
        #expect(street.levels.last!.m < 0.3, "m(street else) = \(street.levels.last!.m)")
    }

    @Test func namesakesBornNearbyAreNotTakenForMatches() throws {
        // 95 % of the copies keep their birth date, 5 % are a day off.
        let birth = try #require(Self.model.comparison(.birthDate))
        #expect(birth.levels[0].m > 0.9, "m(birth exact) = \(birth.levels[0].m)")
        #expect(birth.levels[3].m < 0.05, "m(birth within a year) = \(birth.levels[3].m)")
    }

    @Test func sexIsNoEvidenceInEMWhenGivenNamesAgree() {
        // One field drives, sex; every pair agrees on it. With given names that agree, the agreement says nothing
        // (a name tells the sex, match or not): the match share stays where it started. With names that
        // disagree, sex agreement is evidence and the share moves.
        func share(givenLevel: Int) -> Double {
            var v = LevelVector.allNull
            v.set(PairComparer.given, givenLevel)
            v.set(PairComparer.sexF, 0)
            let u = MatchField.allCases.map { f in [Double](repeating: 1 / Double(f.levelLabels.count), count: 16) }
            return ModelTrainer.expectationMaximisation([(v.levelsOnly, 1_000)], fields: [.sex], u: u, maxIterations: 5)
                .lambda
        }
        #expect(share(givenLevel: 0) == 0.1)
        #expect(share(givenLevel: 1) == 0.1)
        #expect(share(givenLevel: 5) > 0.12)
    }

    @Test func theCrowdedWorldLinksPrecisely() {
        let run = Linker(model: Self.model, inputs: Self.inputs).link()
        let links = run.decisions.filter { $0.decision == .match }
        let right = links.filter { $0.incoming < Self.world.copies && $0.mpi == $0.incoming * 4 }
        #expect(links.count - right.count <= 3, "\(links.count - right.count) false links")
        #expect(right.count >= 1_400, "\(right.count) of 1500 copies linked")
    }
}
