// Proves the string comparators, the phonetic code and the nickname table give the published values.
import Testing

@testable import Matching

@Suite struct ComparatorTests {
    @Test(arguments: [
        ("MARTHA", "MARHTA", 0.961), ("DIXON", "DICKSONX", 0.813), ("DWAYNE", "DUANE", 0.840),
        ("JELLYFISH", "SMELLYFISH", 0.896),
    ])
    func jaroWinklerKnownValues(a: String, b: String, expected: Double) {
        #expect(abs(StringComparators.jaroWinkler(a, b) - expected) < 0.0005)
        #expect(abs(StringComparators.jaroWinkler(b, a) - expected) < 0.0005)
    }

    @Test func jaroWinklerEdges() {
        #expect(StringComparators.jaroWinkler("SMITH", "SMITH") == 1)
        #expect(StringComparators.jaroWinkler("ABC", "XYZ") == 0)
        #expect(StringComparators.jaroWinkler("", "") == 1)
        #expect(StringComparators.jaroWinkler("A", "") == 0)
    }

    @Test(arguments: [
        ("KITTEN", "SITTING", 3), ("MARTHA", "MARHTA", 1), ("CA", "AC", 1), ("CA", "ABC", 3), ("", "ABC", 3),
        ("SMITH", "SMITH", 0), ("JONES", "JOHNSON", 4),
    ])
    func damerauLevenshteinKnownValues(a: String, b: String, expected: Int) {
        #expect(StringComparators.damerauLevenshtein(a, b) == expected)
    }

    @Test func nysiisGroupsSoundAlikes() {
        #expect(Phonetic.nysiis("JOHNSON") == "JANSAN")
        #expect(Phonetic.nysiis("JONSON") == "JANSAN")
        #expect(Phonetic.nysiis("KNIGHT") == Phonetic.nysiis("NIGHT"))
        #expect(Phonetic.nysiis("MACDONALD").hasPrefix("MCD"))
        #expect(Phonetic.nysiis("SMITH") != Phonetic.nysiis("JONES"))
        #expect(Phonetic.nysiis("") == "")
    }

    @Test func nicknamesAreEquivalentThroughTheTable() {
        #expect(Nicknames.areEquivalent("WILLIAM", "BILL"))
        #expect(Nicknames.areEquivalent("BILLY", "WILL"))
        #expect(Nicknames.areEquivalent("PEGGY", "MARGARET"))
        #expect(!Nicknames.areEquivalent("WILLIAM", "ROBERT"))
        #expect(!Nicknames.areEquivalent("ZORBLAX", "BILL"))
    }
}
