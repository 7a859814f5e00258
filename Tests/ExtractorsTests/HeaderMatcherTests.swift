// How `lastmile source init` finds which header is which lastmile column (spellings and synonyms of a
// column score 1, shared words less, a header goes to one column at most) and which date formats it proposes.
import LastMileCore
import Testing

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

    /// The abbreviations a new-user trial's export used (an SIS's "Given Nm", "Bldg", "Reason Cd", "Gr").
    @Test func commonSISAbbreviationsFindTheirColumns() {
        let layout = SchoolAttendanceExtractor.defaultLayout
        let match = HeaderMatcher.match(
            header: ["Stu Num", "Given Nm", "Surname", "Bldg", "Absence Day", "Reason Cd", "Gr"], layout: layout)
        #expect(match["first_name"]?.index == 1)
        #expect(match["school_id"]?.index == 3)
        #expect(match["attendance_code"]?.index == 5)
        #expect(match["grade"]?.index == 6)
    }

    /// A UK-style register export from a new-user trial: "Pupil Ref" is the student and "Mark" the code.
    @Test func pupilAndRegisterMarkHeadersFindTheirColumns() {
        let layout = SchoolAttendanceExtractor.defaultLayout
        for header in ["Pupil Ref", "UPN", "Pupil Number", "Student Reference"] {
            let match = HeaderMatcher.match(header: ["Day", header, "Surname"], layout: layout)
            #expect(match["student_id"]?.index == 1, "\(header)")
            #expect(match["student_id"]?.score == 1, "\(header)")
        }
        for header in ["Mark", "Attendance Mark", "Register Mark"] {
            let match = HeaderMatcher.match(header: ["Pupil Ref", "Day", header], layout: layout)
            #expect(match["attendance_code"]?.index == 2, "\(header)")
            #expect(match["attendance_code"]?.score == 1, "\(header)")
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

/// The date formats `source init` proposes from a column's profile.
@Suite struct DateFormatChoiceTests {
    func share(_ format: String, _ parsed: Int, of filled: Int) -> FormatShare {
        FormatShare(format: format, configured: false, parsed: parsed, share: Double(parsed) / Double(filled))
    }

    @Test func anUnreadableValueAddsNoOverlappingFormat() {
        let dates = DateProfile(
            formats: [share("YYYY-MM-DD", 0, of: 5), share("MM/DD/YYYY", 4, of: 5), share("M/D/YYYY", 4, of: 5)],
            order: .monthFirst, unparsed: 1)
        let choice = DateFormatChoice(dates, filled: 5)
        #expect(choice.formats == ["MM/DD/YYYY"])
        #expect(choice.todo?.hasPrefix("1 value(s) no candidate format reads") == true)
    }

    @Test func twoShapesOfDateTakeTwoFormats() {
        let dates = DateProfile(
            formats: [share("YYYY-MM-DD", 3, of: 6), share("MM/DD/YYYY", 3, of: 6), share("DD/MM/YYYY", 0, of: 6)],
            order: .monthFirst, unparsed: 0)
        #expect(DateFormatChoice(dates, filled: 6).formats == ["YYYY-MM-DD", "MM/DD/YYYY"])
    }

    @Test func anAmbiguousOrderIsLeftToFillIn() {
        let dates = DateProfile(
            formats: [share("MM/DD/YYYY", 4, of: 4), share("DD/MM/YYYY", 4, of: 4)], order: .ambiguous, unparsed: 0)
        let choice = DateFormatChoice(dates, filled: 4)
        #expect(choice.formats.isEmpty)
        #expect(choice.todo?.contains("both parts ≤ 12") == true)
    }
}
