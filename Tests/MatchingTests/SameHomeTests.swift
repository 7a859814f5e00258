// A street address agreeing with the postal code is one home; a street name repeated in another town is not.
// Where streets repeat, the joint agreement is rarer among strangers than the street alone and must weigh more.
import Foundation
import LastMileCore
import Testing

@testable import Matching

@Suite struct SameHomeTests {
    static func person(_ given: String, street: String, postal: String) -> PersonIdentity {
        PersonIdentity(
            givenName: given, familyName: "WAINWRIGHT", birthDate: CivilDate(year: 1980, month: 3, day: 4),
            sex: .female, street: street, city: "RIVERSIDE", state: "CA", postalCode: postal)
    }

    @Test func homeUCountsPairsSharingStreetAndPostalCode() throws {
        // Four patients on "1 MAIN ST" in four postal codes; two incoming records there in the first one.
        let mpi = ["94101", "94102", "94103", "94104"].map { Self.person("ANNA", street: "1 MAIN ST", postal: $0) }
        let incoming = [
            Self.person("ANNA", street: "1 MAIN ST", postal: "94101"),
            Self.person("EVA", street: "1 MAIN ST", postal: "94101"),
        ]
        let m = MatchField.allCases.map { f in [0.8] + [Double](repeating: 0.01, count: f.levelLabels.count - 1) }
        let home = try #require(ModelTrainer.sameHome(MatchInputs(mpi: mpi, incoming: incoming), m: m))
        // 8 pairs share the street, 2 share the home, of 8 pairs in all.
        #expect(home.u == 2.0 / 8.0)
        #expect(abs(home.m - 0.64) < 1e-12)
    }

    @Test func aModelFileWithAnImpossibleHomeIsRejected() throws {
        var model = ModelTests.model
        model.sameHome = LevelModel(label: "street and postal code exact", m: 0.8, u: 2)
        #expect(throws: ModelError.self) { try FellegiSunterModel.load(json: try model.jsonData()) }
        model.sameHome = LevelModel(label: "street and postal code exact", m: 0.8, u: 1e-7)
        #expect(try FellegiSunterModel.load(json: try model.jsonData()).sameHome != nil)
    }

    @Test func aSharedHomeWeighsItsOwnRarityNotTheStreetAlone() throws {
        let patient = Self.person("ANNA", street: "1 MAIN ST", postal: "94101")
        let inputs = MatchInputs(
            mpi: [patient], incoming: [patient, Self.person("ZELDA", street: "1 MAIN ST", postal: "94101")])
        var model = ModelTests.model
        model.sameHome = nil
        let streetOnly = Linker(model: model, inputs: inputs).explain(incoming: 0, mpi: 0)
        model.sameHome = LevelModel(label: "street and postal code exact", m: 0.8, u: 1e-9)
        let linker = Linker(model: model, inputs: inputs)
        let home = linker.explain(incoming: 0, mpi: 0)
        let street = try #require(streetOnly.fields.first { $0.field == "street" }).weight
        #expect(abs(home.totalWeight - streetOnly.totalWeight - (log2(0.8 / 1e-9) - street)) < 1e-9)
        #expect(home.fields.contains { $0.field == "home" && $0.weight > street })
        // A relative with another given name: address evidence is capped, the home adds nothing either.
        let relative = linker.explain(incoming: 1, mpi: 0)
        #expect(!relative.fields.contains { $0.field == "home" })
    }
}
