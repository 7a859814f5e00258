// Proves the chronic-absenteeism rule of issue 6 at its edges: the 10 % threshold, the enrolled-day floor,
// the tier bands, partial days, corrections (last record of a day wins), the school-year window, the trend
// against the previous week, and closing when the rate recovers.
import Flags
import LastMileCore
import Testing

@Suite struct AbsenteeismRuleTests {
    let start = "2026-08-17"

    private func absenteeism(_ flags: [Flag]) -> [Flag] { flags.filter { $0.kind == .chronicAbsenteeism } }

    @Test func justBelowTenPercentIsAtRiskAndTenPercentIsChronic() throws {
        // 17 of 172 days = 9.88 %; 18 of 180 days = 10 % exactly.
        let below = Fixture.schoolDays(from: start, count: 172, absentOn: Set(0..<17))
        let belowFlags = absenteeism(Fixture.flags(Fixture.events(attendance: below), asOf: "2027-06-30"))
        let b = try #require(belowFlags.first)
        #expect(belowFlags.count == 1)
        #expect(b.tier == "at-risk")
        #expect(b.status == .active)
        #expect(!b.codes.contains { $0.system == Coding.icd10cm })
        #expect(b.evidence["rate"] == "0.0988")

        let at = Fixture.schoolDays(from: start, count: 180, absentOn: Set(0..<18))
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: at), asOf: "2027-06-30")).first)
        #expect(f.tier == "moderate")
        #expect(
            f.codes.first
                == Coding(
                    system: Coding.icd10cm, code: "Z55.8", display: "Other problems related to education and literacy"))
        #expect(f.codes.contains { $0.system == Coding.local && $0.code == "chronic-absenteeism" })
        #expect(f.evidence["days_absent"] == "18")
        #expect(f.evidence["days_enrolled"] == "180")
        #expect(f.evidence["rate"] == "0.1000")
        #expect(f.periodStart == Fixture.date("2026-08-01"))
    }

    @Test func nineEnrolledDaysNeverFlagTenDoes() throws {
        let nine = Fixture.schoolDays(from: start, count: 9, absentOn: Set(0..<9))
        #expect(absenteeism(Fixture.flags(Fixture.events(attendance: nine), asOf: "2026-09-30")).isEmpty)
        let ten = Fixture.schoolDays(from: start, count: 10, absentOn: [3])
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: ten), asOf: "2026-09-30")).first)
        #expect(f.tier == "moderate")
        #expect(f.evidence["last_absence"] == "2026-08-20")
        #expect(f.evidence["school_id"] == "S01")
        #expect(f.evidence["grade"] == "04")
    }

    @Test func tierEdges() throws {
        func tier(_ absent: Int, of enrolled: Int) -> String? {
            // Absences at the end, so the running rate peaks on the last day.
            let days = Fixture.schoolDays(from: start, count: enrolled, absentOn: Set((enrolled - absent)..<enrolled))
            let flags = absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2027-07-30"))
            return flags.first { $0.status == .active }?.tier
        }
        #expect(tier(2, of: 41) == nil)  // 4.88 %
        #expect(tier(1, of: 20) == "at-risk")  // 5 %
        #expect(tier(19, of: 100) == "moderate")  // 19 %
        #expect(tier(2, of: 10) == "severe")  // 20 %
        #expect(tier(10, of: 10) == "severe")
        let rules = AbsenteeismRules()
        #expect(rules.tier(of: 0.1999) == .moderate)
        #expect(rules.tier(of: 0.0499) == .satisfactory)
    }

    @Test func atRiskIsNotEmittedWhenConfiguredOff() {
        var rules = FlagRules()
        rules.absenteeism.emitAtRisk = false
        let days = Fixture.schoolDays(from: start, count: 20, absentOn: [19])  // 5 % on the last day only
        #expect(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2026-09-30", rules: rules)).isEmpty)
    }

    @Test func excusedAndUnexcusedAbsencesBothCount() throws {
        var days = Fixture.schoolDays(from: start, count: 10, absentOn: [0], status: .absentExcused)
        days[5].status = .absentUnexcused
        days[6].status = .tardy
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2026-09-30")).first)
        #expect(f.evidence["days_absent"] == "2")
        #expect(f.tier == "severe")
    }

    @Test func illnessAbsencesCountLikeExcusedOnes() throws {
        // 2 of 20 days absent for illness: 10 %, moderate, exactly as two excused days would be.
        let days = Fixture.schoolDays(from: start, count: 20, absentOn: [3, 11], status: .absentIllness)
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2026-09-30")).first)
        #expect(f.evidence["days_absent"] == "2")
        #expect(f.evidence["rate"] == "0.1000")
        #expect(f.tier == "moderate")
        #expect(f.evidence["last_absence"] == Fixture.date(start).adding(days: 11).description)
    }

    @Test func partialDaysCountAsConfigured() throws {
        var days = Fixture.schoolDays(from: start, count: 10)
        days[0].status = .partialDay
        days[0].minutesAbsent = 240
        days[1].status = .partialDay
        days[1].minutesAbsent = 90
        days[2].status = .partialDay  // no minutes
        func absent(_ mode: PartialDayCounting) -> String? {
            var rules = FlagRules()
            rules.absenteeism.partialDays = mode
            rules.absenteeism.atRiskThreshold = 0.01
            return absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2026-09-30", rules: rules))
                .first?.evidence["days_absent"]
        }
        #expect(absent(.halfDay) == "1.5")
        #expect(absent(.full) == "3")
        #expect(absent(.present) == nil)
        #expect(absent(.threshold) == "1.5")  // 240/360 ≥ 50 % → 1; 90/360 → 0; unknown → 0.5
        #expect(absent(.fraction) == "1.42")  // 240/360 + 90/360 + 0.5, rounded to hundredths
    }

    @Test func byDefaultAnEarlyDepartureIsPresentAndAHalfDayAbsenceIsAbsent() throws {
        var days = Fixture.schoolDays(from: start, count: 10)
        days[0].status = .partialDay
        days[0].minutesAbsent = 150  // early departure
        days[1].status = .partialDay
        days[1].minutesAbsent = 195  // half day absent
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: "2026-09-30")).first)
        #expect(f.evidence["days_absent"] == "1")
        #expect(f.tier == "moderate")
    }

    @Test func aCorrectionReplacesTheDayAndDuplicatesCountOnce() throws {
        let days = Fixture.schoolDays(from: start, count: 10, absentOn: [2, 4])
        var events = Fixture.events(attendance: days)
        let before = try #require(absenteeism(Fixture.flags(events, asOf: "2026-09-30")).first)
        #expect(before.evidence["days_absent"] == "2")
        #expect(before.tier == "severe")

        var corrected = days[4]
        corrected.status = .present
        events.append(.attendance(corrected), from: "riverside-usd")
        events.append(.attendance(days[2]), from: "riverside-usd")  // the same absence re-sent
        let after = try #require(absenteeism(Fixture.flags(events, asOf: "2026-09-30")).first)
        #expect(after.evidence["days_absent"] == "1")
        #expect(after.evidence["days_enrolled"] == "10")
        #expect(after.tier == "moderate")
        #expect(after.key == before.key)
    }

    @Test func onlyTheCurrentSchoolYearAndDaysUpToAsOfCount() throws {
        let lastYear = Fixture.schoolDays(from: "2026-05-01", count: 30, absentOn: Set(0..<30))
        let thisYear = Fixture.schoolDays(from: start, count: 20, absentOn: [0, 1])
        let future = Fixture.schoolDays(from: "2026-10-01", count: 5, absentOn: Set(0..<5))
        let f = try #require(
            absenteeism(Fixture.flags(Fixture.events(attendance: lastYear + thisYear + future), asOf: "2026-09-30"))
                .first)
        #expect(f.evidence["days_enrolled"] == "20")
        #expect(f.evidence["days_absent"] == "2")
        #expect(f.evidence["school_year_start"] == "2026-08-01")
    }

    @Test func trendComparesWithTheRateAWeekEarlier() throws {
        // 20 days, absent on 2 of the first 13; then absent on 3 of the last 7.
        let days = Fixture.schoolDays(from: start, count: 20, absentOn: [0, 1, 15, 16, 17])
        let asOf = Fixture.date(start).adding(days: 19).description
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: asOf)).first)
        #expect(f.evidence["previous_days_enrolled"] == "13")
        #expect(f.evidence["previous_days_absent"] == "2")
        #expect(f.evidence["previous_rate"] == "0.1538")
        #expect(f.evidence["rate"] == "0.2500")
        #expect(f.tier == "severe")
    }

    @Test func recoveringBelowTheThresholdClosesTheFlagOnTheFirstDayBelow() throws {
        // Absent days 0 and 1 (2/10 = 20 %); present afterwards. At-risk ends when 2/n < 5 %: n = 41.
        let days = Fixture.schoolDays(from: start, count: 45, absentOn: [0, 1])
        let asOf = Fixture.date(start).adding(days: 44).description
        let f = try #require(absenteeism(Fixture.flags(Fixture.events(attendance: days), asOf: asOf)).first)
        #expect(f.status == .inactive)
        #expect(f.periodEnd == Fixture.date(start).adding(days: 40))
        #expect(f.tier == "at-risk")
        #expect(f.evidence["rate"] == "0.0444")
    }

    @Test func twoDistrictsGiveTwoFlagsInSourceOrder() {
        var events = Fixture.events(
            source: "riverside-usd", attendance: Fixture.schoolDays(from: start, count: 10, absentOn: [0]))
        for day in Fixture.schoolDays(from: start, count: 10, absentOn: [0, 1, 2], school: "L9") {
            events.append(.attendance(day), from: "lakeside-edfi")
        }
        let flags = absenteeism(Fixture.flags(events, asOf: "2026-09-30"))
        #expect(flags.map(\.source) == ["lakeside-edfi", "riverside-usd"])
        #expect(flags.map(\.tier) == ["severe", "moderate"])
    }
}
