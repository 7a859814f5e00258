// Many-to-one linking: incoming files hold one person more than once (a client entered twice, a student under two
// ids), and such records all link to the one patient; records that claim one patient but are different people
// (twins, a parent and a junior) go to review instead. Uses the model trained in `ModelTests`.
import LastMileCore
import Testing

@testable import Matching

@Suite struct ManyToOneTests {
    static let mpi = ModelTests.world.mpi
    static var model: FellegiSunterModel { ModelTests.model }

    static let elizabeth = PersonIdentity(
        givenName: "Elizabeth", familyName: "Wainwright", birthDate: CivilDate(year: 2012, month: 3, day: 14),
        sex: .female, street: "88 Cedar Lane", city: "Riverside", state: "CA", postalCode: "94120",
        phone: "415-555-9812")

    /// The same girl entered twice more: once spelled "Elisabeth", once with a typo and no phone. (The model
    /// trained on `SyntheticWorld`, which has no nicknames, weighs a nickname against a match.)
    static var elizabethAgain: [PersonIdentity] {
        var spelling = elizabeth
        spelling.givenName = "Elisabeth"
        var typo = elizabeth
        typo.givenName = "Elizabteh"
        typo.phone = nil
        return [spelling, typo]
    }

    static func link(
        mpi extra: [PersonIdentity], incoming: [PersonIdentity], model: FellegiSunterModel = model
    ) -> LinkRun {
        Linker(model: model, inputs: MatchInputs(mpi: mpi + extra, incoming: incoming)).link()
    }

    @Test func agreeingIncomingDuplicatesAllLinkToTheOnePatient() {
        let run = Self.link(mpi: [Self.elizabeth], incoming: [Self.elizabeth] + Self.elizabethAgain)
        #expect(run.decisions.map(\.decision) == [.match, .match, .match])
        #expect(run.decisions.allSatisfy { $0.mpi == Self.mpi.count })
        #expect(run.decisions.allSatisfy { $0.reason == .aboveMatchThreshold })
    }

    @Test func twoIdenticalIncomingRecordsBothLinkOnePatient() {
        let run = Self.link(mpi: [Self.elizabeth], incoming: [Self.elizabeth, Self.elizabeth])
        #expect(run.decisions.map(\.decision) == [.match, .match])
        #expect(run.decisions.allSatisfy { $0.mpi == Self.mpi.count })
    }

    @Test func twinsClaimingOnePatientGoToReviewAsContested() {
        // The MPI holds the family's baby without a given name or home; two girls born that day claim her.
        let baby = PersonIdentity(
            familyName: "Okonkwo", birthDate: CivilDate(year: 2015, month: 8, day: 21), sex: .female,
            city: "Riverside", state: "CA", postalCode: "94110")
        var adaeze = baby
        adaeze.givenName = "Adaeze"
        adaeze.street = "12 Oak Street"
        adaeze.phone = "415-555-2671"
        var chiamaka = adaeze
        chiamaka.givenName = "Chiamaka"
        let alone = Self.link(mpi: [baby], incoming: [adaeze])
        #expect(alone.decisions[0].decision == .match, "each twin alone would link")
        let run = Self.link(mpi: [baby], incoming: [adaeze, chiamaka])
        #expect(run.decisions.map(\.decision) == [.review, .review])
        #expect(run.decisions.allSatisfy { $0.reason == .contestedPatient && $0.mpi == Self.mpi.count })
    }

    @Test func aParentAndAJuniorClaimingOnePatientAreNotBothLinked() {
        // The MPI's record has no birth date, so both father and son look like it; at a lower match threshold
        // (an HIE's choice) either alone would link.
        var model = Self.model
        model.thresholds.match = 0.85
        let robert = PersonIdentity(
            givenName: "Robert", familyName: "Whitaker", sex: .male, street: "4410 Birch Drive", city: "Riverside",
            state: "CA", postalCode: "94131", phone: "415-555-7720")
        var father = robert
        father.birthDate = CivilDate(year: 1981, month: 2, day: 3)
        var son = robert
        son.suffix = "Jr"
        son.birthDate = CivilDate(year: 2013, month: 10, day: 30)
        let alone = Self.link(mpi: [robert], incoming: [son], model: model)
        #expect(alone.decisions[0].decision == .match, "the son alone would link")
        let run = Self.link(mpi: [robert], incoming: [father, son], model: model)
        #expect(run.decisions.filter { $0.decision == .match }.count <= 1)
        #expect(run.decisions.contains { $0.decision == .review && $0.reason == .contestedPatient })
    }

    @Test func aDuplicateBesideATwinStillLeavesTheTwinsContested() {
        // One twin entered twice and her sister once: the sister disagrees with both copies.
        let baby = PersonIdentity(
            familyName: "Okonkwo", birthDate: CivilDate(year: 2015, month: 8, day: 21), sex: .female,
            city: "Riverside", state: "CA", postalCode: "94110")
        var adaeze = baby
        adaeze.givenName = "Adaeze"
        var chiamaka = baby
        chiamaka.givenName = "Chiamaka"
        let run = Self.link(mpi: [baby], incoming: [adaeze, chiamaka, adaeze])
        #expect(run.decisions.allSatisfy { $0.decision == .review && $0.reason == .contestedPatient })
    }

    @Test func decisionsDoNotDependOnTheOrderOfIncomingRecords() {
        let world = ModelTests.world
        let sample = Array(world.incoming.prefix(400))
        let incoming = sample + [Self.elizabeth] + Self.elizabethAgain + Array(world.incoming[400..<800])
        var permutation = Array(incoming.indices)
        var rng = SplitMix64(seed: 11)
        for k in stride(from: permutation.count - 1, to: 0, by: -1) {
            permutation.swapAt(k, Int(rng.next() % UInt64(k + 1)))
        }
        let forward = Self.link(mpi: [Self.elizabeth], incoming: incoming)
        let shuffled = Self.link(mpi: [Self.elizabeth], incoming: permutation.map { incoming[$0] })
        func outcome(_ d: LinkDecision) -> String { "\(d.decision) \(d.reason) \(d.mpi ?? -1) \(d.probability)" }
        for (position, original) in permutation.enumerated() {
            #expect(outcome(shuffled.decisions[position]) == outcome(forward.decisions[original]))
        }
        let duplicates = forward.decisions[400..<403]
        #expect(duplicates.allSatisfy { $0.decision == .match && $0.mpi == Self.mpi.count })
    }
}

/// Never-link rules: a pair a reviewer rejected (or a practice reported) is not scored.
@Suite struct NeverLinkTests {
    @Test func aForbiddenPairIsNotLinkedAndAnotherPatientMayTakeOver() {
        let mpi = ManyToOneTests.mpi + [ManyToOneTests.elizabeth]
        let inputs = MatchInputs(mpi: mpi, incoming: [ManyToOneTests.elizabeth])
        let free = Linker(model: ManyToOneTests.model, inputs: inputs).link().decisions[0]
        #expect(free.decision == .match && free.mpi == mpi.count - 1)

        let forbidden: [Int: Set<Int32>] = [0: [Int32(mpi.count - 1)]]
        let ruled = Linker(model: ManyToOneTests.model, inputs: inputs, neverLink: forbidden).link().decisions[0]
        #expect(ruled.mpi != mpi.count - 1)
        #expect(ruled.decision != .match || ruled.mpi != mpi.count - 1)
    }
}
