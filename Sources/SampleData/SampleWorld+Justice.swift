import LastMileCore

extension SampleWorld {
    static let jailHeader = [
        "booking_number", "last_name", "first_name", "middle_name", "suffix", "birth_date", "sex", "race",
        "address_line", "city", "state", "postal_code", "booking_datetime", "release_datetime", "facility",
        "charges", "arresting_agency", "juvenile",
    ]
    static let housingHeader = [
        "record_id", "client_id", "first_name", "last_name", "birth_date", "sex", "phone", "address_line", "city",
        "state", "postal_code", "record_type", "status", "status_date", "program", "household_id",
    ]

    /// Made-up charge descriptions, in the style of a county booking system.
    static let charges = [
        "THEFT III", "CRIMINAL TRESPASS II", "DUII", "FAILURE TO APPEAR II", "DISORDERLY CONDUCT II",
        "PROBATION VIOLATION", "POSS STOLEN VEHICLE", "ASSAULT IV", "HARASSMENT", "BURGLARY II",
        "CRIMINAL MISCHIEF II", "DRIVING WHILE SUSPENDED", "RESISTING ARREST", "PAROLE VIOLATION",
    ]
    static let agencies = [
        "Riverside Police Department", "Lakeside Police Department", "County Sheriff's Office", "State Police",
    ]
}

extension SampleWorldWriter {
    private func dateTime(_ date: CivilDate, minuteOfDay: Int, american: Bool) -> String {
        let hour = String(minuteOfDay / 60).leftPadded(to: 2)
        let minute = String(minuteOfDay % 60).leftPadded(to: 2)
        if american {
            return "\(String(date.month).leftPadded(to: 2))/\(String(date.day).leftPadded(to: 2))/\(date.year) "
                + "\(hour):\(minute)"
        }
        return "\(date) \(hour):\(minute):00"
    }

    mutating func writeJailBookings() throws {
        var rng = root.fork(7)
        var adults = people.filter { (18...62).contains(age($0)) && $0.role == .adult }
        rng.shuffle(&adults)
        let bookedCount = max(6, adults.count / 18)
        var booked = Array(adults.prefix(bookedCount))
        // One juvenile: a teenager whose booking must never pass the consent gate.
        if let teen = people.first(where: { (14...17).contains(age($0)) }) { booked.append(teen) }

        struct Booking {
            var number: String
            var person: SyntheticPerson
            var recorded: RecordedPerson
            var booked: CivilDate
            var bookedMinute: Int
            var released: CivilDate?
            var releasedMinute: Int
            var juvenile: Bool
            var charges: String
            var agency: String
        }
        var bookings: [Booking] = []
        var number = 4_500
        for (index, person) in booked.enumerated() {
            let juvenile = age(person) < 18
            let recorded = Messiness.record(
                of: person, address: household(of: person).currentAddress, phone: nil, profile: .sourceWithBirthDate,
                rng: &rng)
            // Kinds in turn: still in custody, released within the last 30 days, released long ago.
            let kind = juvenile ? 1 : index % 3
            let bookedDate: CivilDate
            var released: CivilDate?
            switch kind {
            case 0:
                bookedDate = asOf.adding(days: -rng.int(in: 1...45))
            case 1:
                released = asOf.adding(days: -rng.int(in: 1...28))
                bookedDate = released!.adding(days: -rng.int(in: 0...20))
            default:
                bookedDate = asOf.adding(days: -rng.int(in: 60...320))
                released = bookedDate.adding(days: rng.int(in: 0...25))
            }
            let chargeCount = rng.int(in: 1...3)
            let chargeList = rng.sample(chargeCount, of: SampleWorld.charges.count).map { SampleWorld.charges[$0] }
            number += rng.int(in: 3...90)
            bookings.append(
                Booking(
                    number: "B26-\(String(number).leftPadded(to: 6))", person: person, recorded: recorded,
                    booked: bookedDate, bookedMinute: rng.int(in: 0...1439), released: released,
                    releasedMinute: rng.int(in: 360...1200), juvenile: juvenile,
                    charges: chargeList.joined(separator: "; "), agency: rng.pick(SampleWorld.agencies)))
            noteSource(SampleWorld.jailSource, person)
        }
        // A repeat booking of the first released adult: people cycle through jail.
        if let again = bookings.first(where: {
            !$0.juvenile && $0.released != nil && $0.released! < asOf.adding(days: -40)
        }) {
            number += 17
            var repeatBooking = again
            repeatBooking.number = "B26-\(String(number).leftPadded(to: 6))"
            repeatBooking.booked = asOf.adding(days: -rng.int(in: 2...12))
            repeatBooking.released = nil
            repeatBooking.charges = "PROBATION VIOLATION"
            bookings.append(repeatBooking)
        }
        bookings.sort { ($0.booked, $0.bookedMinute) < ($1.booked, $1.bookedMinute) }

        func row(_ b: Booking, release: CivilDate?, american: Bool) -> [String] {
            let p = b.recorded
            return [
                b.number, p.familyName, p.givenName, p.middleName, p.suffix, p.birthDateText, p.sexText,
                ["W", "B", "H", "A", "I", "U"][b.person.key % 6], p.street, p.city, p.state, p.postalCode,
                dateTime(b.booked, minuteOfDay: b.bookedMinute, american: american),
                release.map { dateTime($0, minuteOfDay: b.releasedMinute, american: american) } ?? "",
                b.juvenile ? "Juvenile Detention Center" : (b.person.key % 4 == 0 ? "North Annex" : "County Main Jail"),
                b.charges, b.agency, b.juvenile ? "Y" : "N",
            ]
        }
        var rows: [[String]] = []
        var resent: [Booking] = []
        for (index, b) in bookings.enumerated() {
            let american = index % 7 == 3
            if let released = b.released, released >= asOf.adding(days: -28), resent.isEmpty, !b.juvenile {
                // First sent while in custody; re-sent below with the release date (an update, not a new booking).
                rows.append(row(b, release: nil, american: american))
                resent.append(b)
            } else {
                rows.append(row(b, release: b.released, american: american))
            }
        }
        // Deliberately bad rows: an impossible booking time, no booking number, an unreadable birth date.
        if let template = bookings.last {
            var bad = row(template, release: nil, american: false)
            bad[0] = "B26-999001"
            bad[12] = "2026-11-31 25:10"
            rows.insert(bad, at: rows.count / 2)
            var noNumber = row(template, release: nil, american: false)
            noNumber[0] = ""
            rows.append(noNumber)
            var badBirth = row(template, release: nil, american: false)
            badBirth[0] = "B26-999002"
            badBirth[5] = "00/00/0000"
            rows.append(badBirth)
        }
        for b in resent { rows.append(row(b, release: b.released, american: false)) }
        try write("inbox/county-jail/bookings-\(stamp).csv", header: SampleWorld.jailHeader, rows: rows)
    }

    mutating func writeHousing() throws {
        var rng = root.fork(8)
        var rows: [[String]] = []
        var recordNumber = 0
        var clientNumber = 31_000
        func nextRecord(_ prefix: String) -> String {
            recordNumber += 1
            return "\(prefix)-\(String(recordNumber).leftPadded(to: 5))"
        }
        func identity(_ person: SyntheticPerson, keepAddress: Bool, _ rng: inout SplitMix64) -> [String] {
            let h = household(of: person)
            var profile = MessProfile.sourceWithBirthDate
            if keepAddress { profile.dropAddress = 0 }
            let p = Messiness.record(
                of: person, address: h.currentAddress, phone: person.ownPhone ?? h.currentPhone, profile: profile,
                rng: &rng)
            return [
                p.givenName, p.familyName, p.birthDateText, p.sexText, Messiness.formatPhone(p.phone, style: 1),
                p.street, p.city, p.state, p.postalCode,
            ]
        }

        // The by-name list: people in shelter or outreach, plus a few unsheltered people known only here.
        var listed = hmisHeads
        let extra = people.filter { $0.role == .adult && age($0) >= 18 && !listed.contains($0) }
        listed += extra.prefix(3)
        for (index, person) in listed.enumerated() {
            clientNumber += rng.int(in: 1...40)
            let clientId = "CE\(clientNumber)"
            let householdId = "CEH\(person.householdKey + 300)"
            let who = identity(person, keepAddress: false, &rng)
            let listedOn = asOf.adding(days: -rng.int(in: 20...250))
            func event(_ status: String, _ date: CivilDate, _ program: String) -> [String] {
                [nextRecord("BNL"), clientId] + who + ["by-name-list", status, date.description, program, householdId]
            }
            rows.append(event("active", listedOn, "Coordinated Entry"))
            switch index % 5 {
            case 1:
                rows.append(event("housed", listedOn.adding(days: rng.int(in: 5...18)), "Rapid Re-Housing"))
            case 3:
                rows.append(event("inactive", listedOn.adding(days: rng.int(in: 5...18)), "Coordinated Entry"))
            default:
                break
            }
            noteSource(SampleWorld.housingSource, person)
        }

        // Eviction filings against household heads: filed, then a judgment or a dismissal for some.
        var tenants = model.households.filter { $0.members.count > 1 }.compactMap { h in
            h.members.first { $0.role == .adult }
        }
        rng.shuffle(&tenants)
        for (index, person) in tenants.prefix(max(4, tenants.count / 20)).enumerated() {
            // A filing is about a tenancy, so it always names the address.
            let who = identity(person, keepAddress: true, &rng)
            let filed = asOf.adding(days: -rng.int(in: 10...120))
            let householdId = "EVH\(person.householdKey + 800)"
            func event(_ status: String, _ date: CivilDate) -> [String] {
                [nextRecord("EV"), ""] + who + [
                    "eviction-filing", status, date.description, "County Circuit Court", householdId,
                ]
            }
            rows.append(event("filed", filed))
            switch index % 3 {
            case 0: rows.append(event("judgment", filed.adding(days: rng.int(in: 7...9))))
            case 1: rows.append(event("dismissed", filed.adding(days: rng.int(in: 7...9))))
            default: break
            }
            noteSource(SampleWorld.housingSource, person)
        }

        // Deliberately bad rows: an unknown status, an unreadable status date, a missing first name.
        if let template = rows.first {
            var unknown = template
            unknown[0] = nextRecord("BNL")
            unknown[12] = "pending-review"
            rows.insert(unknown, at: rows.count / 2)
            var badDate = template
            badDate[0] = nextRecord("BNL")
            badDate[13] = "2026/13/01"
            rows.append(badDate)
            var noName = template
            noName[0] = nextRecord("BNL")
            noName[2] = ""
            rows.append(noName)
        }
        try write("inbox/ce-by-name-list/housing-\(stamp).csv", header: SampleWorld.housingHeader, rows: rows)
    }
}
