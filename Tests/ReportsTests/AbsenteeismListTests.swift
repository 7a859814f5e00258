// Proves the Monday list: rows built from flag evidence, most urgent first, change since last week, other
// flags limited to active visible kinds, the empty list, and golden CSV and HTML for a sample practice.
import Foundation
import LastMileCore
import Reports
import Testing

@Suite struct AbsenteeismListTests {
    @Test func rowsAreSortedMostUrgentFirstAndClosedFlagsAreLeftOut() {
        let list = SamplePractice.list
        #expect(list.weekOf == day("2026-11-23"))
        #expect(list.rows.map(\.patientId) == ["P000117", "P000155", "P000130", "P000104", "P000142"])
        #expect(list.rows.map(\.tier) == [.severe, .severe, .moderate, .moderate, .atRisk])
        #expect(list.rows.map(\.change) == [.worse, .better, .unchanged, .new, .new])
        let ava = list.rows[0]
        #expect(ava.age == 12)  // born 2014-11-23: twelve on Monday 2026-11-23
        #expect(ava.otherFlags == [.shelteredHomelessness])  // incarceration not visible, instability inactive
        #expect(list.rows[2].otherFlags == [.recentRelease])
        // Both recent-release flags are shown (as one label), so both are disclosures; hidden ones are not.
        #expect(list.rows[2].disclosedFlags.map(\.kind) == [.chronicAbsenteeism, .recentRelease, .recentRelease])
        #expect(ava.disclosedFlags.map(\.kind) == [.chronicAbsenteeism, .shelteredHomelessness])
        #expect(list.disclosedFlags.count == 8)
        #expect(!list.disclosedFlags.contains { $0.patientId == "P000168" })
        #expect(ava.ratePercent == "23.5%")
        let s = list.summary
        #expect((s.chronic, s.severe, s.moderate, s.atRisk, s.new, s.worse) == (4, 2, 2, 1, 2, 1))
    }

    @Test func changeSinceLastWeek() {
        #expect(AbsenteeismList.change(rate: 0.12, tier: .moderate, previousRate: nil, onLastWeeksList: nil) == .new)
        #expect(AbsenteeismList.change(rate: 0.12, tier: .moderate, previousRate: 0.09, onLastWeeksList: nil) == .new)
        #expect(
            AbsenteeismList.change(rate: 0.12, tier: .moderate, previousRate: 0.09, onLastWeeksList: true) == .worse)
        #expect(AbsenteeismList.change(rate: 0.12, tier: .moderate, previousRate: 0.12, onLastWeeksList: false) == .new)
        #expect(
            AbsenteeismList.change(rate: 0.1204, tier: .moderate, previousRate: 0.1196, onLastWeeksList: nil)
                == .unchanged)
        #expect(
            AbsenteeismList.change(rate: 0.1210, tier: .moderate, previousRate: 0.1190, onLastWeeksList: nil) == .worse)
        #expect(
            AbsenteeismList.change(rate: 0.11, tier: .moderate, previousRate: 0.13, onLastWeeksList: nil) == .better)
        #expect(AbsenteeismList.change(rate: 0.06, tier: .atRisk, previousRate: 0.04, onLastWeeksList: nil) == .new)
    }

    @Test func aPatientWithTwoDistrictsAppearsOnceAtTheMoreUrgentRow() {
        var second = SamplePractice.patients[0]  // Mateo, moderate 11.5 % in riverside-usd
        second.absenteeism = SamplePractice.absenteeism(
            "P000104", tier: "severe", absent: "9", enrolled: 40, rate: "0.2250", previous: "0.2000",
            last: "2026-11-19", school: "Lakeside Elementary")
        second.absenteeism.source = "lakeside-edfi"
        let list = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: day("2026-11-23"),
            patients: SamplePractice.patients + [second])
        let mateo = list.rows.filter { $0.patientId == "P000104" }
        #expect(mateo.count == 1)
        #expect(mateo.first?.schoolName == "Lakeside Elementary")
        #expect(list.disclosedFlags.filter { $0.patientId == "P000104" }.map(\.source) == ["lakeside-edfi"])
    }

    @Test func atRiskRowsCanBeLeftOff() {
        let list = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: day("2026-11-23"),
            patients: SamplePractice.patients, options: AbsenteeismListOptions(includeAtRisk: false))
        #expect(!list.rows.contains { $0.tier == .atRisk })
        #expect(list.rows.count == 4)
    }

    @Test func goldenCSVAndHTMLForASamplePractice() throws {
        let list = SamplePractice.list
        let csv = list.csv()
        #expect(csv.hasPrefix("\u{FEFF}Patient,Birth date,"))
        #expect(
            csv.contains(
                "\r\n\"O'Brien, Ava\",2014-11-23,12,RP-0410,P000117,Riverside Middle,07,15.5,66,23.5%,Severe,worse,2026-11-20,Sheltered homelessness,RUSD-104,,,,,,,2026-11-20 (riverside-usd),\r\n"
            ))
        try expectGolden(csv, named: "riverside-peds.csv")
        let html = try list.html(using: loadTemplate())
        #expect(html.contains("O&#39;Brien, Ava"))
        #expect(html.contains("Núñez, José"))
        try expectGolden(html, named: "riverside-peds.html")
    }

    @Test func anEmptyListSaysNoPatientsThisWeek() throws {
        let list = AbsenteeismList(
            practiceId: "lakeside-fm", practiceName: "Lakeside Family Medicine", weekOf: day("2026-11-23"), patients: []
        )
        let csv = list.csv()
        let lines = csv.split(separator: "\r\n")
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix("No patients this week,"))
        let html = try list.html(using: loadTemplate())
        #expect(html.contains("No patients this week."))
        #expect(!html.contains("<tbody>"))
        try expectGolden(html, named: "empty.html")
    }
}
