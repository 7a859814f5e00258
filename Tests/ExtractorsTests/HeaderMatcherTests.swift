import Testing

// How `lastmile source init` finds which header is which lastmile column: spellings and synonyms of a
// column score 1, shared words less, and a header goes to one column at most.
@testable import Extractors

@Suite struct HeaderMatcherTests {
    @Test func headersAreComparedAsWords() {
        #expect(HeaderMatcher.words("StudentUSI") == ["student", "usi"])
        #expect(HeaderMatcher.words("Student Number") == ["student", "number"])
        #expect(HeaderMatcher.words("student_id") == ["student", "id"])
        #expect(HeaderMatcher.words("Att_Date") == ["attendance", "date"])
        #expect(HeaderMatcher.words("DOB") == ["birth", "date"])
        #expect(HeaderMatcher.words("Grade2Level") == ["grade", "2", "level"])
    }

    @Test func everySpellingOfAStudentIdFindsStudentId() {
        let layout = SchoolAttendanceExtractor.defaultLayout
        for header in ["StudentUSI", "student_id", "Student Number", "STUDENT_NO", "Stu Num"] {
            let match = HeaderMatcher.match(header: ["Att_Code", header, "Last Name"], layout: layout)
            #expect(match["student_id"]?.index == 1, "\(header)")
            #expect(match["student_id"]?.score == 1, "\(header)")
        }
    }

    @Test func aHeaderGoesToItsBestColumnOnly() {
        let layout = SchoolAttendanceExtractor.defaultLayout
        let match = HeaderMatcher.match(header: ["DOB", "Att_Date", "Att_Code", "Att_Comment"], layout: layout)
        #expect(match["birth_date"]?.index == 0)
        #expect(match["attendance_date"]?.index == 1)
        #expect(match["attendance_code"]?.index == 2)
        #expect(match["attendance_code"]?.alternatives == [3])
        #expect(match["first_name"] == nil)
        #expect(!match.values.contains { $0.index == 3 }, "Att_Comment resembles, but nothing takes it")
    }
}
