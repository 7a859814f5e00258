// Issue 18: the list counts illness absences beside excused and unexcused ones where the feed codes illness,
// and marks the count "—" (not 0) where it does not.
import LastMileCore
import Reports
import Testing

@Suite struct IllnessCountTests {
    static let monday = day("2026-11-23")
    static let yearStart = day("2026-08-17")

    /// Two illness days last week, one excused, one unexcused; one illness day before the school year.
    static let withIllness: [(date: CivilDate, status: AttendanceStatus)] = [
        (day("2026-08-10"), .absentIllness), (day("2026-11-02"), .absentExcused),
        (day("2026-11-09"), .absentUnexcused), (day("2026-11-16"), .absentIllness),
        (day("2026-11-17"), .absentIllness), (day("2026-11-18"), .present),
    ]

    /// The same absences from a feed without an illness code: its illness days arrive as excused.
    static let withoutIllness: [(date: CivilDate, status: AttendanceStatus)] = withIllness.map {
        ($0.date, $0.status == .absentIllness ? .absentExcused : $0.status)
    }

    @Test func illnessDaysAreAbsencesCountedApartFromExcusedOnes() {
        let r = RecentAbsences(days: Self.withIllness, before: Self.monday, yearStart: Self.yearStart)
        #expect(r.illness == 2)
        #expect(r.excused == 1)
        #expect(r.unexcused == 1)
        #expect(r.last30Days == 4)
        #expect(r.weekly == [0, 0, 0, 0, 0, 1, 1, 2])
        #expect(r.illnessText == "2")
    }

    @Test func theIllnessCountIsUnknownUnlessTheSourceCodesIllness() {
        let unknown = RecentAbsences(days: Self.withoutIllness, before: Self.monday, yearStart: Self.yearStart)
        #expect(unknown.illness == nil)
        #expect(unknown.illnessText == "—")
        #expect(unknown.excused == 3)
        // Another student of the same feed had an illness day: this one's 0 is known.
        let known = RecentAbsences(
            days: Self.withoutIllness, before: Self.monday, yearStart: Self.yearStart, sourceCodesIllness: true)
        #expect(known.illness == 0)
        #expect(known.illnessText == "0")
    }

    static func list(_ days: [(date: CivilDate, status: AttendanceStatus)]) -> AbsenteeismList {
        var patients = SamplePractice.patients
        patients[1].recentAbsences = RecentAbsences(days: days, before: monday, yearStart: yearStart)
        return AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: monday, patients: patients)
    }

    @Test func theHTMLRowShowsTheIllnessCountOrTheMarker() throws {
        let template = try loadTemplate()
        let ill = try #require(
            htmlRow(try Self.list(Self.withIllness).html(using: template), containing: "O&#39;Brien, Ava"))
        #expect(ill.contains("<td class=\"num\" data-label=\"Excused / unexcused / ill\">1 / 1 / 2</td>"))
        let html = try Self.list(Self.withoutIllness).html(using: template)
        #expect(html.contains("<th class=\"num\">Excused / unexcused / ill</th>"))
        let unknown = try #require(htmlRow(html, containing: "O&#39;Brien, Ava"))
        #expect(
            unknown.contains(
                "data-label=\"Excused / unexcused / ill\">3 / 1 / "
                    + "<span title=\"Not known: no illness code seen in this school's feed\">—</span></td>"))
        // A row without recent counts stays empty.
        let uncounted = try #require(htmlRow(html, containing: "Chen, Lily"))
        #expect(uncounted.contains("data-label=\"Excused / unexcused / ill\"></td>"))
    }

    @Test func theCSVAppendsAbsentIllAfterEveryOtherColumn() throws {
        #expect(AbsenteeismList.csvHeader.count == 23)
        #expect(AbsenteeismList.csvHeader.last == "Absent ill")
        let ill = Self.list(Self.withIllness).csv().components(separatedBy: "\r\n")
        #expect(ill[0].hasSuffix(",Attendance data through,Absent ill"))
        let row = try #require(ill.first { $0.contains("P000117") })
        #expect(row.hasSuffix(",1,1,0 0 0 0 0 1 1 2,,,2"))
        let unknown = try #require(
            Self.list(Self.withoutIllness).csv().components(separatedBy: "\r\n").first {
                $0.contains("P000117")
            })
        #expect(unknown.hasSuffix(",3,1,0 0 0 0 0 1 1 2,,,—"))
        let uncounted = try #require(ill.first { $0.contains("Chen, Lily") })
        #expect(uncounted.hasSuffix(",,"))
    }

    /// The `<tr>…</tr>` of the list's table that contains `text`.
    func htmlRow(_ html: String, containing text: String) -> String? {
        html.components(separatedBy: "<tr>").map { $0.components(separatedBy: "</tr>")[0] }
            .first { $0.contains(text) }
    }
}
