// Proves each non-school flag opens on its evidence and closes (inactive, with an end date) when the
// evidence ends: shelter stays and bed nights, street outreach, bookings and the release window, by-name
// lists and eviction cases, moves to housing, and death. Also that output order is deterministic.
import Flags
import LastMileCore
import Testing

@Suite struct HousingAndJusticeRuleTests {
    let d = Fixture.date
    let patient = "P000042"

    private func derive(_ build: (inout PatientEvents) -> Void, asOf: String, rules: FlagRules = .default) -> [Flag] {
        var e = PatientEvents(patientId: patient)
        build(&e)
        return Fixture.flags(e, asOf: asOf, rules: rules)
    }

    private func stay(
        _ id: String, type: Int, entry: String, exit: String? = nil, destination: Int? = nil, moveIn: String? = nil
    )
        -> SourceEvent
    {
        .shelterStay(
            ShelterStay(
                enrollmentId: id, projectId: "PR\(type)", projectType: type, entryDate: d(entry), exitDate: exit.map(d),
                moveInDate: moveIn.map(d), exitDestination: destination))
    }

    private func housing(_ id: String, _ type: HousingRecordType, _ status: HousingStatus, _ date: String)
        -> SourceEvent
    {
        .housingStatus(HousingStatusEvent(recordId: id, recordType: type, status: status, statusDate: d(date)))
    }

    private func booking(_ n: String, _ booked: String, released: String? = nil) -> SourceEvent {
        .booking(
            Booking(
                bookingNumber: n, bookedAt: CivilDateTime(date: d(booked), hour: 23, minute: 40),
                releasedAt: released.map { CivilDateTime(date: d($0), hour: 9) }))
    }

    @Test func openEmergencyShelterStayIsShelteredHomelessnessAndExitClosesIt() throws {
        let open = derive({ $0.append(stay("E1", type: 0, entry: "2026-11-02"), from: "coc-hmis") }, asOf: "2026-11-20")
        let f = try #require(open.first)
        #expect(open.count == 1)
        #expect(f.kind == .shelteredHomelessness)
        #expect(f.status == .active)
        #expect(f.periodStart == d("2026-11-02"))
        #expect(f.periodEnd == nil)
        #expect(f.source == "coc-hmis")
        #expect(f.codes.map(\.code) == ["Z59.01", "32911000", "sheltered-homelessness"])
        #expect(f.evidence["stays"] == "1")

        let exited = derive(
            { $0.append(stay("E1", type: 2, entry: "2026-06-02", exit: "2026-09-15"), from: "coc-hmis") },
            asOf: "2026-11-20")
        #expect(exited.map(\.status) == [.inactive])
        #expect(exited.first?.periodEnd == d("2026-09-15"))
        // Seen before the exit happened, the same stay is open.
        let earlier = derive(
            { $0.append(stay("E1", type: 2, entry: "2026-06-02", exit: "2026-09-15"), from: "coc-hmis") },
            asOf: "2026-09-14")
        #expect(earlier.map(\.status) == [.active])
    }

    @Test func nightByNightBedNightsKeepTheFlagOpenForTheWindow() throws {
        func build(_ e: inout PatientEvents) {
            e.append(stay("N1", type: 1, entry: "2026-10-01"), from: "coc-hmis")
            for night in ["2026-10-01", "2026-10-02", "2026-10-20", "2026-10-20"] {
                e.append(.bedNight(BedNight(enrollmentId: "N1", projectType: 1, date: d(night))), from: "coc-hmis")
            }
        }
        let within = derive(build, asOf: "2026-11-18")  // 29 days after the last night
        #expect(within.map(\.status) == [.active])
        #expect(within.first?.evidence["bed_nights"] == "3")
        #expect(within.first?.evidence["last_bed_night"] == "2026-10-20")
        let after = derive(build, asOf: "2026-11-19")  // 30 days after: the window [night, night + 30) is over
        #expect(after.map(\.status) == [.inactive])
        #expect(after.first?.periodEnd == d("2026-11-19"))
        #expect(after.first?.periodStart == d("2026-10-01"))
    }

    @Test func streetOutreachContactIsUnshelteredWithinTheWindow() throws {
        var rules = FlagRules()
        rules.homelessness.outreachWindowDays = 60
        func build(_ e: inout PatientEvents) {
            e.append(.bedNight(BedNight(enrollmentId: "O1", projectType: 4, date: d("2026-09-01"))), from: "coc-hmis")
            e.append(.bedNight(BedNight(enrollmentId: "O1", projectType: 4, date: d("2026-10-15"))), from: "coc-hmis")
        }
        let active = derive(build, asOf: "2026-11-20", rules: rules)
        let f = try #require(active.first)
        #expect(f.kind == .unshelteredHomelessness)
        #expect(f.status == .active)
        #expect(f.codes.first?.code == "Z59.02")
        #expect(f.evidence["contacts"] == "2")
        #expect(f.evidence["last_contact"] == "2026-10-15")
        let closed = derive(build, asOf: "2026-12-14", rules: rules)
        #expect(closed.first?.status == .inactive)
        #expect(closed.first?.periodEnd == d("2026-12-14"))
    }

    @Test func openBookingIsIncarcerationAndReleaseOpensTheReleaseWindow() throws {
        let booked = derive({ $0.append(booking("B1", "2026-11-10"), from: "county-jail") }, asOf: "2026-11-20")
        #expect(booked.map(\.kind) == [.incarceration])
        #expect(booked.first?.status == .active)
        #expect(booked.first?.codes.first?.code == "Z65.1")
        #expect(booked.first?.evidence["days_in_custody"] == "10")

        func released(_ e: inout PatientEvents) {
            e.append(booking("B1", "2026-11-10"), from: "county-jail")
            e.append(booking("B1", "2026-11-10", released: "2026-11-14"), from: "county-jail")  // same booking, updated
        }
        let flags = derive(released, asOf: "2026-11-20")
        #expect(flags.map(\.kind) == [.incarceration, .recentRelease])
        #expect(flags.map(\.status) == [.inactive, .active])
        #expect(flags[0].periodEnd == d("2026-11-14"))
        #expect(flags[1].periodStart == d("2026-11-14"))
        #expect(flags[1].codes.first?.code == "Z65.2")
        #expect(flags[1].evidence["released_on"] == "2026-11-14")

        let day29 = derive(released, asOf: "2026-12-13")
        #expect(day29.first { $0.kind == .recentRelease }?.status == .active)
        let day30 = derive(released, asOf: "2026-12-14")
        let window = try #require(day30.first { $0.kind == .recentRelease })
        #expect(window.status == .inactive)
        #expect(window.periodEnd == d("2026-12-14"))
    }

    @Test func aNewBookingEndsTheReleaseWindow() {
        let flags = derive(
            {
                $0.append(booking("B1", "2026-10-01", released: "2026-10-05"), from: "county-jail")
                $0.append(booking("B2", "2026-10-12"), from: "county-jail")
            }, asOf: "2026-10-20")
        let release = flags.first { $0.kind == .recentRelease }
        #expect(release?.status == .inactive)
        #expect(release?.periodEnd == d("2026-10-12"))
        #expect(flags.filter { $0.kind == .incarceration }.map(\.status) == [.inactive, .active])
    }

    @Test func byNameListActiveIsInstabilityAndHousedClosesItAndOpensHoused() throws {
        func build(_ e: inout PatientEvents) {
            e.append(housing("R1", .byNameList, .active, "2026-07-01"), from: "ce-by-name-list")
            e.append(stay("E7", type: 0, entry: "2026-07-03"), from: "coc-hmis")
            e.append(housing("R1", .byNameList, .housed, "2026-10-01"), from: "ce-by-name-list")
        }
        let before = derive(build, asOf: "2026-09-30")
        #expect(before.map(\.kind) == [.shelteredHomelessness, .housingInstability])
        #expect(before.allSatisfy { $0.status == .active })
        let instability = try #require(before.last)
        #expect(instability.codes.map(\.code) == ["Z59.811", "1156191002", "housing-instability"])
        #expect(instability.evidence["basis"] == "by-name-list")

        let after = derive(build, asOf: "2026-11-20")
        #expect(after.map(\.kind) == [.shelteredHomelessness, .housingInstability, .housed])
        #expect(after.map(\.status) == [.inactive, .inactive, .active])
        #expect(after[0].periodEnd == d("2026-10-01"))  // the open shelter stay is closed by the move
        #expect(after[1].periodEnd == d("2026-10-01"))
        #expect(after[2].periodStart == d("2026-10-01"))
        #expect(after[2].codes.first?.code == "Z59.812")
    }

    @Test func exitToPermanentHousingIsHousedAndNewHomelessnessEndsIt() {
        let flags = derive(
            {
                $0.append(
                    stay("E1", type: 0, entry: "2026-03-01", exit: "2026-05-01", destination: 435), from: "coc-hmis")
                $0.append(stay("E2", type: 0, entry: "2026-09-10"), from: "coc-hmis")
            }, asOf: "2026-11-20")
        #expect(flags.map(\.kind) == [.shelteredHomelessness, .shelteredHomelessness, .housed])
        #expect(flags.map(\.status) == [.inactive, .active, .inactive])
        #expect(flags[2].periodStart == d("2026-05-01"))
        #expect(flags[2].periodEnd == d("2026-09-10"))
        #expect(flags[2].evidence["basis"] == "hmis-exit")
    }

    @Test func evictionFilingOpensInstabilityUntilDismissedOrTheWindowEnds() {
        let dismissed = derive(
            {
                $0.append(housing("C1", .evictionFiling, .filed, "2026-08-01"), from: "county-evictions")
                $0.append(housing("C1", .evictionFiling, .dismissed, "2026-09-01"), from: "county-evictions")
            }, asOf: "2026-11-20")
        #expect(dismissed.map(\.status) == [.inactive])
        #expect(dismissed.first?.periodEnd == d("2026-09-01"))
        #expect(dismissed.first?.evidence["last_status"] == "dismissed")

        var rules = FlagRules()
        rules.housing.evictionWindowDays = 90
        let judgment = derive(
            {
                $0.append(housing("C1", .evictionFiling, .filed, "2026-05-01"), from: "county-evictions")
                $0.append(housing("C1", .evictionFiling, .judgment, "2026-06-01"), from: "county-evictions")
            }, asOf: "2026-11-20", rules: rules)
        #expect(judgment.map(\.status) == [.inactive])
        #expect(judgment.first?.periodEnd == d("2026-08-30"))
        #expect(judgment.first?.evidence["basis"] == "eviction-filing")
    }

    @Test func deathClosesEveryFlag() {
        let flags = derive(
            {
                $0.append(stay("E1", type: 0, entry: "2026-09-01"), from: "coc-hmis")
                $0.append(booking("B1", "2026-11-15"), from: "county-jail")
                $0.append(housing("R1", .byNameList, .deceased, "2026-10-10"), from: "ce-by-name-list")
            }, asOf: "2026-11-20")
        #expect(flags.map(\.kind) == [.shelteredHomelessness])
        #expect(flags.first?.status == .inactive)
        #expect(flags.first?.periodEnd == d("2026-10-10"))
    }

    @Test func orderIsDeterministicWhateverTheSourceOrder() {
        let bySource: [String: [SourceEvent]] = [
            "county-jail": [booking("B1", "2026-11-10")],
            "coc-hmis": [stay("E1", type: 0, entry: "2026-11-02")],
            "riverside-usd": Fixture.schoolDays(from: "2026-08-17", count: 20, absentOn: [1, 2, 3]).map {
                .attendance($0)
            },
            "ce-by-name-list": [housing("R1", .byNameList, .active, "2026-07-01")],
        ]
        let a = FlagDeriver().flags(
            for: PatientEvents(patientId: patient, eventsBySource: bySource), asOf: d("2026-11-20"))
        #expect(a.map(\.kind) == [.chronicAbsenteeism, .shelteredHomelessness, .incarceration, .housingInstability])
        var manual = PatientEvents(patientId: patient)
        for source in ["riverside-usd", "ce-by-name-list", "county-jail", "coc-hmis"] {
            for e in bySource[source]! { manual.append(e, from: source) }
        }
        #expect(FlagDeriver().flags(for: manual, asOf: d("2026-11-20")) == a)
    }
}
