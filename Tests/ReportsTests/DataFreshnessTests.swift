// Issue 18 item 1: every list says how old its data is, per source, apart from its reporting week; a list made
// when a source's data is older than stale_after_days carries a warning in the HTML and the CSV.
import Foundation
import LastMileCore
import Reports
import Testing

@Suite struct DataFreshnessTests {
    @Test func aSourceIsStaleOnlyPastTheLimitOrWithoutData() {
        let madeOn = day("2026-11-30")
        let ok = SourceFreshness(source: "s", dataThrough: day("2026-11-20"), madeOn: madeOn, staleAfterDays: 10)
        let late = SourceFreshness(source: "s", dataThrough: day("2026-11-19"), madeOn: madeOn, staleAfterDays: 10)
        let none = SourceFreshness(source: "s", dataThrough: nil, madeOn: madeOn, staleAfterDays: 10)
        #expect((ok.daysOld, ok.isStale) == (10, false))
        #expect((late.daysOld, late.isStale) == (11, true))
        #expect(none.isStale && none.daysOld == nil)
    }

    @Test func theSampleListShowsItsDataDatePerSourceApartFromItsWeek() throws {
        let list = SamplePractice.list
        // Only the district whose flags are on the list; the other source has no row here.
        #expect(list.dataFreshness.map(\.source) == ["riverside-usd"])
        #expect(list.staleSources.isEmpty)
        let html = try list.html(using: loadTemplate())
        #expect(html.contains("Reporting week of 23 November 2026"))
        #expect(html.contains("Attendance data through 20 November 2026 (source riverside-usd)"))
        #expect(!html.contains("role=\"alert\""))
        let csv = list.csv()
        #expect(csv.hasPrefix("\u{FEFF}Patient,Birth date,"))
        #expect(csv.contains(",Attendance data through,Absent ill\r\n"))
        #expect(csv.contains(",Sheltered homelessness,RUSD-104,,,,,,,2026-11-20 (riverside-usd),\r\n"))
        #expect(!csv.contains("Warning"))
    }

    @Test func aListMadeThirtyDaysAfterItsNewestDataCarriesTheWarning() throws {
        let list = SamplePractice.list(dataThrough: day("2026-10-24"), madeOn: day("2026-11-23"))
        #expect(list.staleSources.map(\.source) == ["riverside-usd"])
        let warning = "Warning: attendance data from riverside-usd ends 2026-10-24 (30 days before this list was made)"
        let html = try list.html(using: loadTemplate())
        #expect(html.contains("<div class=\"stale-warning\" role=\"alert\">"))
        #expect(html.contains(warning))
        #expect(html.contains("Attendance data through 24 October 2026 (source riverside-usd)"))
        #expect(html.contains("Reporting week of 23 November 2026"))
        let lines = list.csv().components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("\u{FEFF}Patient,"), "the header stays the first line")
        #expect(lines[1].hasPrefix(warning))
        #expect(lines[1].hasSuffix(",2026-10-24 (riverside-usd),"))
        #expect(lines[1].split(separator: ",", omittingEmptySubsequences: false).count >= 15)
        #expect(lines[2].hasPrefix("\"O'Brien, Ava\""))
    }

    @Test func anEmptyListStatesEverySourceAndWarnsOfAStaleOne() throws {
        var list = AbsenteeismList(
            practiceId: "lakeside-fm", practiceName: "Lakeside Family Medicine", weekOf: day("2026-11-23"), patients: []
        )
        list.dataFreshness = list.freshness(from: [
            SourceFreshness(
                source: "b-usd", dataThrough: day("2026-11-20"), madeOn: day("2026-11-23"), staleAfterDays: 10),
            SourceFreshness(source: "a-edfi", dataThrough: nil, madeOn: day("2026-11-23"), staleAfterDays: 10),
        ])
        let lines = list.csv().components(separatedBy: "\r\n")
        #expect(lines[1].hasPrefix("Warning: no attendance data from a-edfi"))
        #expect(lines[2].hasPrefix("No patients this week,"))
        #expect(lines[2].hasSuffix(",none (a-edfi); 2026-11-20 (b-usd),"))
        let html = try list.html(using: loadTemplate())
        #expect(html.contains("Attendance data through — none received — (source a-edfi)"))
        #expect(html.contains("Attendance data through 20 November 2026 (source b-usd)"))
        #expect(html.contains("role=\"alert\""))
    }
}
