// GradeLevel.short reads ASCII grades as bytes: it must give what the Character-by-Character reading gives.
import Extractors
import Testing

@Suite struct GradeLevelTests {
    /// The reading by `Character`s that the byte path replaced, kept here as the reference.
    static func reference(_ value: String) -> String {
        let code = value.split(separator: "#", omittingEmptySubsequences: false).last.map(String.init) ?? value
        let trimmed = String(code.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        let shortForms = [
            "kindergarten": "K", "fifth grade": "5", "twelfth grade": "12", "ungraded": "UG",
            "preschool/prekindergarten": "PK",
        ]
        return shortForms[trimmed.lowercased()] ?? trimmed
    }

    @Test(arguments: [
        "3", "K", "12", " 7 ", "PK", "", " ", "#", "abc#", "#Kindergarten",
        "uri://ed-fi.org/GradeLevelDescriptor#Fifth grade",
        "uri://ed-fi.org/GradeLevelDescriptor#  TWELFTH GRADE  ", "Ungraded", "Grade 4", "a#b#Kindergarten",
        "\u{212A}indergarten", "Cinqui\u{E8}me", "uri://x#Pr\u{E9}school", "  Preschool/Prekindergarten",
    ])
    func theByteReadingGivesWhatTheCharacterReadingGives(_ value: String) {
        #expect(GradeLevel.short(value) == Self.reference(value))
    }

    @Test func descriptorsBecomeTheirShortForms() {
        #expect(GradeLevel.short("uri://ed-fi.org/GradeLevelDescriptor#Fifth grade") == "5")
        #expect(GradeLevel.short("\u{212A}indergarten") == "K")  // the Kelvin sign lowercases to an ASCII k
        #expect(GradeLevel.short(" 10 ") == "10")
    }
}
