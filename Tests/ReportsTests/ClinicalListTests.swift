// Issue 18: what a clinician needs on a row (school name and liaison, grade, 30-day count, excused/unexcused,
// the 8-week sparkline, the suggested next step) and a list that prints with its header and page numbers.
import Foundation
import LastMileCore
import Reports
import Testing

@Suite struct ClinicalListTests {
    static let monday = day("2026-11-23")

    /// Absences of P000117 before the list's Monday: three last week, one four weeks back, one seven weeks
    /// back, one before the trend and one before the school year.
    static let absences: [(date: CivilDate, status: AttendanceStatus)] = [
        (day("2026-08-10"), .absentExcused), (day("2026-09-01"), .absentUnexcused),
        (day("2026-10-05"), .absentExcused), (day("2026-10-26"), .absentUnexcused),
        (day("2026-11-16"), .absentUnexcused), (day("2026-11-17"), .absentExcused),
        (day("2026-11-18"), .absentUnexcused), (day("2026-11-19"), .present), (day("2026-11-23"), .absentExcused),
    ]

    static var recent: RecentAbsences {
        RecentAbsences(days: absences, before: monday, yearStart: day("2026-08-17"))
    }

    static func list(nextSteps: [AbsenteeismTier: String] = [:]) -> AbsenteeismList {
        var patients = SamplePractice.patients
        patients[1].recentAbsences = recent
        let schools = SchoolDirectory([
            "riverside-usd": [
                "RUSD-104": School(id: "RUSD-104", name: "Riverside Elementary & Annex", liaisonPhone: "541-555-0104")
            ]
        ])
        var list = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: monday, patients: patients,
            options: AbsenteeismListOptions(nextSteps: nextSteps, schools: schools))
        list.dataFreshness = list.freshness(from: [
            SourceFreshness(
                source: "riverside-usd", dataThrough: day("2026-11-20"), madeOn: monday, staleAfterDays: 10)
        ])
        return list
    }

    @Test func recentAbsencesCountWholeDaysBeforeTheMonday() {
        let r = Self.recent
        #expect(r.last30Days == 4)
        #expect(r.excused == 2)
        #expect(r.unexcused == 4)
        #expect(r.weekly == [0, 1, 0, 0, 1, 0, 0, 3])
        #expect(r.trendText == "0 1 0 0 1 0 0 3")
        #expect(r.trendDescription == "Days absent per week, last 8 weeks, oldest first: 0, 1, 0, 0, 1, 0, 0, 3")
        let points = r.sparklinePoints
        #expect(points.count == 8)
        #expect(points.first?.x == 2 && points.last?.x == 70)
        // A full school week is the top of the box; none is its floor.
        #expect(points[0].y == 22)
        #expect(abs((points[7].y) - (22 - 20 * 3.0 / 5)) < 1e-9)
    }

    @Test func theRowShowsSchoolNameGradeRecentCountsSparklineAndNextStep() throws {
        let list = Self.list(nextSteps: [.severe: "Call the family this week & loop in the school liaison."])
        let html = try list.html(using: try loadTemplate())
        let row = try #require(htmlRow(html, containing: "O&#39;Brien, Ava"))
        #expect(row.contains("Riverside Elementary &amp; Annex · <span class=\"id\">grade 07</span>"))
        #expect(row.contains("<span class=\"phone\">541-555-0104</span>"))
        #expect(row.contains("<td class=\"num\" data-label=\"Last 30 days\"><strong>4</strong>"))
        #expect(row.contains("2 / 4"))
        #expect(
            row.contains(
                "<svg class=\"spark\" role=\"img\" aria-label=\"Days absent per week, last 8 weeks, oldest first: "
                    + "0, 1, 0, 0, 1, 0, 0, 3\""))
        #expect(row.contains("points=\"2,22 11.7,18 21.4,22 31.1,22 40.9,18 50.6,22 60.3,22 70,10\""))
        #expect(row.contains("Call the family this week &amp; loop in the school liaison."))
        #expect(row.contains("<span class=\"badge sheltered-homelessness\">Sheltered homelessness</span>"))
        // A tier without a next step and a row without counts show empty cells, not placeholders.
        let other = try #require(htmlRow(html, containing: "Chen, Lily"))
        #expect(other.contains("<td class=\"next-step\" data-label=\"Next step\"></td>"))
        #expect(!other.contains("<svg"))
        #expect(!other.contains("class=\"badge"))
    }

    @Test func theCSVCarriesTheNewColumnsAfterTheOldOnes() throws {
        let list = Self.list(nextSteps: [.severe: "Call the family this week."])
        let lines = list.csv().split(separator: "\r\n").map(String.init)
        #expect(
            lines[0].hasSuffix(
                "Other active flags,School ID,School liaison phone,Absent last 30 days,Excused absences,"
                    + "Unexcused absences,\"Absent days per week (8 weeks, oldest first)\",Suggested next step,"
                    + "Attendance data through,Absent ill"))
        let ava = try #require(lines.first { $0.contains("P000117") })
        #expect(
            ava.hasSuffix(
                "Sheltered homelessness,RUSD-104,541-555-0104,4,2,4,0 1 0 0 1 0 0 3,Call the family this week.,"
                    + "2026-11-20 (riverside-usd),—"))
        #expect(ava.contains("Riverside Elementary & Annex"))
    }

    @Test func everyPrintedPageCarriesTheHeaderAndPageNumbersAndRowsNeverSplit() throws {
        let template = try String(
            contentsOf: repositoryRoot.appendingPathComponent("pipelines/templates/absenteeism.html"),
            encoding: .utf8)
        for rule in [
            "@page", "@top-left", "@bottom-right", "counter(page)", "counter(pages)", "break-inside: avoid",
            "display: table-header-group", ".id, .phone { white-space: nowrap; }",
        ] {
            #expect(template.contains(rule), "the template has no \(rule)")
        }
        let html = try Self.list().html(using: try loadTemplate())
        #expect(
            html.contains(
                "@top-left { content: \"Riverside Pediatrics \\28 riverside\\2D peds\\29  \\B7  week of 2026\\2D 11\\2D 23"
                    + " \\B7  attendance data through 2026\\2D 11\\2D 20 \\28 riverside\\2D usd\\29  \\B7  Confidential\";"
            ))
    }

    @Test func thePrintHeaderCannotLeaveItsCSSString() throws {
        var list = Self.list()
        list.practiceName = "Evil\"; } body { display: none } </style><script>alert(1)</script> & Co"
        let html = try list.html(using: try loadTemplate())
        let afterOpen = try #require(html.components(separatedBy: "<style>").dropFirst().first)
        let style = try #require(afterOpen.components(separatedBy: "</style>").first)
        #expect(!style.contains("<script"))
        #expect(!style.contains("display: none }"))
        #expect(style.contains("Evil\\22 \\3B  \\7D  body"))
    }

    /// The `<tr>…</tr>` of the list's table that contains `text`.
    func htmlRow(_ html: String, containing text: String) -> String? {
        html.components(separatedBy: "<tr>").map { $0.components(separatedBy: "</tr>")[0] }
            .first { $0.contains(text) }
    }
}
