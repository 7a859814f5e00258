// Recall on data unlike the worlds the matcher was first tuned on (issue #15): typo'd names without a birth
// date reach comparison, copies of one person with different typos link together, a moved family's patient
// still links, and sparse records (names, birth date, town) link when those agree. Uses the model trained in
// `ModelTests` unless a test trains its own.
import Foundation
import LastMileCore
import Testing

@testable import Matching

@Suite struct RecallTests {
    static let mpi = ModelTests.world.mpi
    static var model: FellegiSunterModel { ModelTests.model }

    static let marisol = PersonIdentity(
        givenName: "Marisol", familyName: "Quintanilla", birthDate: CivilDate(year: 1984, month: 11, day: 3),
        sex: .female, street: "41 Juniper Court", city: "Fairview", state: "OR", postalCode: "97024",
        phone: "503-555-0142")

    static func linker(mpi extra: [PersonIdentity], incoming: [PersonIdentity]) -> Linker {
        Linker(model: model, inputs: MatchInputs(mpi: mpi + extra, incoming: incoming))
    }

    @Test func aTypoedFamilyNameWithoutBirthDateReachesComparison() {
        // No birth date on the incoming side, so no date rule applies; no SSN, a new phone and a new home.
        var typo = Self.marisol
        typo.familyName = "Quintanila"  // one L dropped: the same NYSIIS code
        typo.birthDate = nil
        typo.street = "7 Alder Way"
        typo.postalCode = "97030"
        typo.phone = "503-555-7788"
        let linker = Self.linker(mpi: [Self.marisol], incoming: [typo])
        #expect(linker.candidates(0).contains(Int32(Self.mpi.count)))
    }

    @Test func aTypoedGivenNameWithoutBirthDateReachesComparison() {
        var typo = Self.marisol
        typo.givenName = "Marissol"  // a doubled letter: the same NYSIIS code
        typo.birthDate = nil
        typo.street = "7 Alder Way"
        typo.postalCode = "97030"
        typo.phone = "503-555-7788"
        let linker = Self.linker(mpi: [Self.marisol], incoming: [typo])
        #expect(linker.candidates(0).contains(Int32(Self.mpi.count)))
    }

    @Test func copiesWithDifferentTyposOfTheGivenNameAllLink() {
        // "Lizabeth" and "Elizabet" are each one edit from "Elizabeth" but two from each other (Jaro–Winkler
        // below 0.92): compatible, not agreeing. Nothing says they are two people, so both link.
        let elizabeth = ManyToOneTests.elizabeth
        var front = elizabeth
        front.givenName = "Lizabeth"
        var back = elizabeth
        back.givenName = "Elizabet"
        let run = Self.linker(mpi: [elizabeth], incoming: [front, back]).link()
        #expect(run.decisions.map(\.decision) == [.match, .match])
        #expect(run.decisions.allSatisfy { $0.mpi == Self.mpi.count })
    }
}

@Suite struct RecallTrainingTests {
    static func train(_ inputs: MatchInputs) -> FellegiSunterModel {
        var options = TrainingOptions()
        options.randomPairs = 400_000
        return ModelTrainer.train(inputs, options: options)
    }

    @Test func priorCountsEveryIncomingRecordOfAPatient() {
        // Four records of each incoming person: a patient is matched by four incoming records, so there are more
        // matches than MPI records. The prior must not be capped at one match per patient.
        let world = ModelTests.world
        let incoming = Array(repeating: world.incoming, count: 4).flatMap { $0 }
        let model = Self.train(MatchInputs(mpi: world.mpi, incoming: incoming))
        let trueRate = Double(4 * world.truth.count) / (Double(world.mpi.count) * Double(incoming.count))
        let estimated = model.probabilityTwoRandomRecordsMatch
        #expect(estimated > trueRate / 1.6 && estimated < trueRate * 1.6, "λ \(estimated) vs \(trueRate)")
    }

    @Test func namesakesInALargeMPIDoNotTeachThatBirthDatesDisagree() throws {
        // Few names, many people and no SSN: most pairs that agree on given and family name are namesakes, and
        // only birth date and sex tell them from matches. Birth dates
        // were corrupted with probability 0.1, never to an unrelated date, so m(birth date differs) is near 0
        // and m(exact) near 0.9; counting namesakes as matches makes a disagreeing birth date weigh nothing.
        let world = SyntheticWorld(households: 6000, seed: 11, ssnShare: 0)
        let model = Self.train(MatchInputs(mpi: world.mpi, incoming: world.incoming))
        let birth = try #require(model.comparison(.birthDate))
        #expect(abs(birth.levels[0].m - 0.9) < 0.06, "m(birth exact) = \(birth.levels[0].m)")
        // (-5.5 bits since EM takes no evidence from sex when given names agree and compares each block against
        // the u of strangers in it: this world draws sex independently of the given name, so here sex did tell
        // namesakes apart; real names tell the sex. Namesakes counted as matches made it about -1.4.)
        #expect(birth.levels[4].matchWeight < -5, "weight(birth else) = \(birth.levels[4].matchWeight)")
        let trueRate = Double(world.truth.count) / (Double(world.mpi.count) * Double(world.incoming.count))
        let estimated = model.probabilityTwoRandomRecordsMatch
        #expect(estimated > trueRate / 1.4 && estimated < trueRate * 1.4, "λ \(estimated) vs \(trueRate)")
    }

    @Test func aFieldNeverWrongInTrainingStillHasABoundedDisagreementWeight() throws {
        // `SyntheticWorld` never corrupts sex, so EM finds m(sex disagrees) ≈ 0; real feeds mistype it now and then.
        let sex = try #require(ModelTests.model.comparison(.sex))
        let disagreement = try #require(sex.levels.last)
        #expect(disagreement.m >= ModelTrainer.minimumDisagreementM)
        #expect(disagreement.matchWeight > -8, "weight \(disagreement.matchWeight)")
        #expect(abs(sex.levels.map(\.m).reduce(0, +) - 1) < 1e-9)
    }
}

extension RecallTests {
    @Test func aMovedFamilyCountsItsAddressDisagreementOnce() {
        // Street, postal code and phone all change in a move: one piece of evidence, not three.
        var moved = Self.marisol
        moved.street = "7 Alder Way"
        moved.postalCode = "97030"
        moved.phone = "503-555-7788"
        let explanation = Self.linker(mpi: [Self.marisol], incoming: [moved])
            .explain(incoming: 0, mpi: Self.mpi.count)
        let household = explanation.fields.filter { ["street", "postal_code", "phone", "city"].contains($0.field) }
        #expect(household.filter { $0.weight < 0 }.count == 1)
        #expect(household.filter { $0.weight == 0 }.count == 2)
    }
}

extension RecallTests {
    static let okonkwoHome = PersonIdentity(
        familyName: "Okonkwo", sex: .female, street: "12 Oak Street", city: "Riverside", state: "CA",
        postalCode: "94110", phone: "415-555-2671")

    /// Whether the household identity rule tells incoming `person` from the relatives of the MPI's `patient`.
    static func identityIsClear(_ person: PersonIdentity, patient: PersonIdentity) -> Bool {
        let linker = Self.linker(mpi: [patient], incoming: [person])
        return Linker.identityIsClear(linker.inputs.comparer.levels(0, Self.mpi.count), 0, 0)
    }

    @Test func inASharedHomeAnExactBirthDateAndASimilarGivenNameTellThePersonApart() {
        var adaeze = Self.okonkwoHome
        adaeze.givenName = "Adaeze"
        adaeze.birthDate = CivilDate(year: 2014, month: 5, day: 2)
        var typo = adaeze
        typo.givenName = "Adaesi"  // two edits, Jaro–Winkler 0.87
        #expect(Self.identityIsClear(typo, patient: adaeze))
        var twin = adaeze
        twin.givenName = "Chiamaka"
        #expect(!Self.identityIsClear(twin, patient: adaeze))
        var brother = typo
        brother.sex = .male
        #expect(!Self.identityIsClear(brother, patient: adaeze))
    }
}

extension RecallTests {
    @Test func copiesWhoseBirthDatesDifferEachInOnePlaceFromThePatientsAllLink() {
        // Each copy is one component off the patient's birth date, in a different component, so the two copies
        // are more than one component apart: a corruption of each, not a parent and a child.
        let elizabeth = ManyToOneTests.elizabeth
        var year = elizabeth
        year.birthDate = CivilDate(year: 2013, month: 3, day: 14)
        var day = elizabeth
        day.birthDate = CivilDate(year: 2012, month: 3, day: 11)
        let alone = Self.linker(mpi: [elizabeth], incoming: [year]).link()
        #expect(alone.decisions[0].decision == .match, "each copy alone links")
        let run = Self.linker(mpi: [elizabeth], incoming: [year, day, elizabeth]).link()
        #expect(run.decisions.map(\.decision) == [.match, .match, .match])
        #expect(run.decisions.allSatisfy { $0.mpi == Self.mpi.count })
    }
}

extension RecallTests {
    @Test func inASharedHomeARareGivenNameCountsMoreThanACommonOne() throws {
        // No birth date: at the patient's home only the given name tells her from a relative. A relative who
        // shares a given name is rarer for a rare name, so the household weight of an exact given name is term-
        // frequency adjusted too (as outside a home), relative to the average name.
        func givenWeight(_ given: String) throws -> Double {
            var patient = Self.okonkwoHome
            patient.givenName = given
            patient.birthDate = CivilDate(year: 2014, month: 5, day: 2)
            var copy = patient
            copy.birthDate = nil
            let explanation = Self.linker(mpi: [patient], incoming: [copy]).explain(incoming: 0, mpi: Self.mpi.count)
            #expect(explanation.sharesHousehold)
            return try #require(explanation.fields.first { $0.field == "given_name" }).weight
        }
        let level = try #require(Self.model.comparison(.givenName)).levels[0]
        let average = log2(level.m / (level.uHousehold ?? level.u))
        let rare = try givenWeight("Adaeze")
        let common = try givenWeight("Olivia")
        #expect(rare > average + 1, "rare \(rare) vs average \(average)")
        #expect(common < rare - 2, "common \(common) vs rare \(rare)")
    }
}

extension RecallTests {
    @Test func inASharedHomeAnInitialWithTheExactBirthDateAndSexTellsThePersonApart() {
        // A form with only the initial of the given name: the exact birth date and the sex tell her from the
        // relatives at her home. A twin sharing the initial who is also a patient scores the same: a near tie.
        var adaeze = Self.okonkwoHome
        adaeze.givenName = "Adaeze"
        adaeze.birthDate = CivilDate(year: 2014, month: 5, day: 2)
        var initial = adaeze
        initial.givenName = "A"
        #expect(Self.identityIsClear(initial, patient: adaeze))
        var brother = initial
        brother.sex = .male
        #expect(!Self.identityIsClear(brother, patient: adaeze))
        var noSex = initial
        noSex.sex = nil
        #expect(!Self.identityIsClear(noSex, patient: adaeze))
        var otherDay = initial
        otherDay.birthDate = CivilDate(year: 2014, month: 5, day: 3)
        #expect(!Self.identityIsClear(otherDay, patient: adaeze))
    }
}
