// Proves each field's normalisation: folding, suffixes, compound names, placeholders treated as missing.
import LastMileCore
import Testing

@testable import Matching

@Suite struct NormalizationTests {
    @Test func namesFoldDiacriticsAndPunctuation() {
        let p = Normalizer.normalize(PersonIdentity(givenName: " José-María ", familyName: "O'Brien"))
        #expect(p.givenName == "JOSEMARIA")
        #expect(p.familyName == "OBRIEN")
        #expect(Normalizer.fold("Øyvind Müller") == "OYVIND MULLER")
    }

    @Test func suffixIsSplitOffTheFamilyName() {
        let p = Normalizer.normalize(PersonIdentity(givenName: "Robert", familyName: "Smith Jr."))
        #expect(p.familyName == "SMITH")
        #expect(p.suffix == "JR")
        let q = Normalizer.normalize(PersonIdentity(givenName: "Henry", familyName: "Ford", suffix: "III"))
        #expect(q.suffix == "III")
    }

    @Test func compoundFamilyNamesKeepTheirParts() {
        let p = Normalizer.normalize(PersonIdentity(familyName: "García-López"))
        #expect(p.familyName == "GARCIALOPEZ")
        #expect(p.familyNameParts == ["GARCIA", "LOPEZ"])
        let q = Normalizer.normalize(PersonIdentity(familyName: "de la Cruz"))
        #expect(q.familyName == "DELACRUZ")
        #expect(q.familyNameParts == [])  // particles dropped leave one part
    }

    @Test func invalidSSNsAreMissing() {
        #expect(Normalizer.normalizeSSN("123-45-6789").full == nil)
        #expect(Normalizer.normalizeSSN("000-12-3456").full == nil)
        #expect(Normalizer.normalizeSSN("666-12-3456").full == nil)
        #expect(Normalizer.normalizeSSN("912-12-3456").full == nil)
        #expect(Normalizer.normalizeSSN("123-00-4567").full == nil)
        #expect(Normalizer.normalizeSSN("111-11-1111").full == nil)
        let good = Normalizer.normalizeSSN("212-45-6781")
        #expect(good.full == "212456781")
        #expect(good.last4 == "6781")
        #expect(Normalizer.normalizeSSN("XXX-XX-4321") == (nil, "4321"))
        #expect(Normalizer.normalizeSSN("0000").last4 == nil)
    }

    @Test func phonePostalAndSex() {
        #expect(Normalizer.normalizePhone("+1 (415) 555-2671") == "4155552671")
        #expect(Normalizer.normalizePhone("415-555-0123") == nil)  // 555-01xx is fictional
        #expect(Normalizer.normalizePhone("000-000-0000") == nil)
        #expect(Normalizer.normalizePhone("555-2671") == nil)
        #expect(Normalizer.normalizePostalCode("94110-1234") == "94110")
        #expect(Normalizer.normalizePostalCode("00000") == nil)
        #expect(Normalizer.normalizeSex("female") == .female)
        #expect(Normalizer.normalizeSex("1") == .male)
        #expect(Normalizer.normalizeSex("unknown") == nil)
    }

    @Test func streetsUseUSPSAbbreviationsAndSplitUnits() {
        let (street, unit) = Normalizer.normalizeStreet("123 North Main Street, Apt. 4B")
        #expect(street == "123 N MAIN ST")
        #expect(unit == "4B")
        #expect(Normalizer.normalizeStreet("12 Oak Avenue #7").street == "12 OAK AVE")
        #expect(Normalizer.normalizeStreet("12 Oak Avenue #7").unit == "7")
        #expect(Normalizer.normalizeStreet("Homeless").street == nil)
    }

    @Test func fingerprintIgnoresFormattingButNotValues() {
        let a = PersonIdentity(
            givenName: "José", familyName: "Smith", birthDate: CivilDate(year: 2012, month: 3, day: 4))
        let b = PersonIdentity(
            givenName: " JOSE ", familyName: "smith", birthDate: CivilDate(year: 2012, month: 3, day: 4))
        let c = PersonIdentity(
            givenName: "José", familyName: "Smith", birthDate: CivilDate(year: 2012, month: 3, day: 5))
        #expect(DemographicsFingerprint.of(a) == DemographicsFingerprint.of(b))
        #expect(DemographicsFingerprint.of(a) != DemographicsFingerprint.of(c))
        #expect(DemographicsFingerprint.of(a).count == 32)
    }
}
