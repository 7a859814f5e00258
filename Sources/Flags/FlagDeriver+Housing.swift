import LastMileCore

/// What a homelessness or housing span is made of, for its evidence counts.
enum HousingItem {
    case stay(ShelterStay)
    case night(CivilDate, projectType: Int)
    case contact(CivilDate)
    case listStatus(HousingStatusEvent)
    case prevention(ShelterStay)
    case housed(CivilDate, basis: String)

    var date: CivilDate {
        switch self {
        case .stay(let s), .prevention(let s): s.entryDate
        case .night(let d, _), .contact(let d), .housed(let d, _): d
        case .listStatus(let e): e.statusDate
        }
    }
}

/// A move to housing: closes homelessness and instability evidence that began before it.
struct HousedEvent {
    var date: CivilDate
    var source: String
    var basis: String
}

extension FlagDeriver {
    /// Sheltered and unsheltered homelessness, housing instability, and `housed` flags.
    func housingFlags(_ events: PatientEvents, asOf: CivilDate) -> [Flag] {
        let homeRules = rules.homelessness
        let stays = latestStays(events, asOf: asOf)
        let housed = housedEvents(events, stays: stays, asOf: asOf)
        let cuts = housed.map(\.date).sorted()

        var sheltered: [String: [Span<HousingItem>]] = [:]
        var unsheltered: [String: [Span<HousingItem>]] = [:]
        var instability: [String: [Span<HousingItem>]] = [:]

        for (source, stay) in stays {
            let exit = stay.exitDate.flatMap { $0 <= asOf ? $0 : nil }
            switch stay.projectType {
            case HMIS.nightByNight:
                // The entry is a night; the stay stays open only as long as bed nights keep coming.
                let w = stay.entryDate.adding(days: homeRules.bedNightWindowDays)
                sheltered[source, default: []].append(
                    Span(
                        start: stay.entryDate, end: exit.map { min(w, max($0, stay.entryDate)) } ?? w,
                        items: [.stay(stay)]))
            case let t where HMIS.shelteredProjectTypes.contains(t):
                sheltered[source, default: []].append(
                    Span(start: stay.entryDate, end: exit.map { max($0, stay.entryDate) }, items: [.stay(stay)]))
            case HMIS.streetOutreach:
                let w = stay.entryDate.adding(days: homeRules.outreachWindowDays)
                unsheltered[source, default: []].append(
                    Span(start: stay.entryDate, end: w, items: [.contact(stay.entryDate)]))
            case HMIS.homelessnessPrevention:
                instability[source, default: []].append(
                    Span(start: stay.entryDate, end: exit.map { max($0, stay.entryDate) }, items: [.prevention(stay)]))
            default:
                break
            }
        }

        var seenNights = Set<String>()
        let exits = Dictionary(
            stays.map { ("\($0.0)\u{0}\($0.1.enrollmentId)", $0.1.exitDate) }, uniquingKeysWith: { $1 })
        for item in events.bedNights where item.event.date <= asOf {
            let night = item.event
            guard seenNights.insert("\(item.source)\u{0}\(night.enrollmentId)\u{0}\(night.date)").inserted else {
                continue
            }
            if night.projectType == HMIS.streetOutreach {
                unsheltered[item.source, default: []].append(
                    Span(
                        start: night.date, end: night.date.adding(days: homeRules.outreachWindowDays),
                        items: [.contact(night.date)]))
            } else if HMIS.shelteredProjectTypes.contains(night.projectType) {
                var end = night.date.adding(days: homeRules.bedNightWindowDays)
                if let exit = exits["\(item.source)\u{0}\(night.enrollmentId)"] ?? nil, exit <= asOf {
                    end = max(night.date.adding(days: 1), min(end, exit))
                }
                sheltered[item.source, default: []].append(
                    Span(start: night.date, end: end, items: [.night(night.date, projectType: night.projectType)]))
            }
        }

        for (source, list) in housingListSpans(events, asOf: asOf) { instability[source, default: []] += list }

        // Homelessness that starts after a move to housing ends the `housed` flag.
        let homelessStarts = (sheltered.values.joined().map(\.start) + unsheltered.values.joined().map(\.start))
            .sorted()

        var flags: [Flag] = []
        func emit(_ kind: FlagKind, _ bySource: [String: [Span<HousingItem>]], cuts: [CivilDate]) {
            for (source, spans) in bySource {
                for span in Span.merge(spans.map { $0.cut(at: cuts) }) {
                    flags.append(
                        flag(
                            kind, patient: events.patientId, source: source, start: span.start, end: span.end,
                            asOf: asOf, evidence: evidence(kind, span, asOf: asOf)))
                }
            }
        }
        emit(.shelteredHomelessness, sheltered, cuts: cuts)
        emit(.unshelteredHomelessness, unsheltered, cuts: cuts)
        emit(.housingInstability, instability, cuts: cuts)

        var housedSpans: [String: [Span<HousingItem>]] = [:]
        for h in housed {
            housedSpans[h.source, default: []].append(
                Span(
                    start: h.date, end: h.date.adding(days: rules.housing.housedWindowDays),
                    items: [.housed(h.date, basis: h.basis)]))
        }
        emit(.housed, housedSpans, cuts: homelessStarts)
        return flags
    }

    /// Each source's enrollments that began by `asOf`, the last record per enrollment id winning.
    func latestStays(_ events: PatientEvents, asOf: CivilDate) -> [(String, ShelterStay)] {
        var order: [String] = []
        var latest: [String: (String, ShelterStay)] = [:]
        for item in events.shelterStays {
            let key = "\(item.source)\u{0}\(item.event.enrollmentId)"
            if latest[key] == nil { order.append(key) }
            latest[key] = (item.source, item.event)
        }
        return order.compactMap { latest[$0] }.filter { $0.1.entryDate <= asOf }
    }

    /// Moves to housing: by-name list `housed`, HMIS exits to permanent housing, RRH/PSH move-ins.
    func housedEvents(_ events: PatientEvents, stays: [(String, ShelterStay)], asOf: CivilDate) -> [HousedEvent] {
        var out: [HousedEvent] = []
        for item in events.housing
        where item.event.recordType == .byNameList && item.event.status == .housed && item.event.statusDate <= asOf {
            out.append(HousedEvent(date: item.event.statusDate, source: item.source, basis: "by-name-list"))
        }
        for (source, stay) in stays {
            if HMIS.housingProjectTypes.contains(stay.projectType), let moveIn = stay.moveInDate, moveIn <= asOf {
                out.append(HousedEvent(date: moveIn, source: source, basis: "move-in"))
            } else if let exit = stay.exitDate, exit <= asOf, let destination = stay.exitDestination,
                HMIS.permanentDestinations.contains(destination),
                HMIS.shelteredProjectTypes.contains(stay.projectType) || stay.projectType == HMIS.streetOutreach
                    || stay.projectType == 13
            {
                out.append(HousedEvent(date: exit, source: source, basis: "hmis-exit"))
            }
        }
        return out
    }

    /// Instability spans from by-name lists (active until housed, inactive or deceased) and eviction cases
    /// (filed or judgment until dismissed, or for the eviction window after the last filing or judgment).
    func housingListSpans(_ events: PatientEvents, asOf: CivilDate) -> [String: [Span<HousingItem>]] {
        var out: [String: [Span<HousingItem>]] = [:]
        let relevant = events.housing.filter { $0.event.statusDate <= asOf }
        let byRecord = Dictionary(grouping: relevant) {
            "\($0.source)\u{0}\($0.event.recordType.rawValue)\u{0}\($0.event.recordId)"
        }
        for key in byRecord.keys.sorted() {
            let group = byRecord[key]!
            let source = group[0].source
            // One status per record per date: a later entry for the same date corrects an earlier one.
            var byDate: [CivilDate: HousingStatusEvent] = [:]
            for item in group { byDate[item.event.statusDate] = item.event }
            let statuses = byDate.values.sorted { $0.statusDate < $1.statusDate }
            var open: Span<HousingItem>?
            var lastOpening: CivilDate?
            for e in statuses {
                switch (e.recordType, e.status) {
                case (.byNameList, .active), (.evictionFiling, .filed), (.evictionFiling, .judgment):
                    if open == nil { open = Span(start: e.statusDate, end: nil, items: []) }
                    open?.items.append(.listStatus(e))
                    lastOpening = e.statusDate
                case (.byNameList, .housed), (.byNameList, .inactive), (.byNameList, .deceased),
                    (.evictionFiling, .dismissed):
                    if var span = open {
                        span.items.append(.listStatus(e))
                        span.end = e.statusDate
                        out[source, default: []].append(span)
                        open = nil
                    }
                default:
                    break
                }
            }
            if var span = open {
                if span.items.contains(where: {
                    if case .listStatus(let e) = $0 { e.recordType == .evictionFiling } else { false }
                }),
                    let last = lastOpening
                {
                    span.end = last.adding(days: rules.housing.evictionWindowDays)
                }
                out[source, default: []].append(span)
            }
        }
        return out
    }

    func evidence(_ kind: FlagKind, _ span: Span<HousingItem>, asOf: CivilDate) -> [String: String] {
        var e: [String: String] = [:]
        let items = span.items.sorted { $0.date < $1.date }
        switch kind {
        case .shelteredHomelessness:
            var stays = 0
            var nights = Set<CivilDate>()
            var lastType: Int?
            for item in items {
                switch item {
                case .stay(let s):
                    stays += 1
                    lastType = s.projectType
                    if s.projectType == HMIS.nightByNight { nights.insert(s.entryDate) }
                case .night(let d, let t):
                    nights.insert(d)
                    lastType = t
                default: break
                }
            }
            e[FlagEvidenceKey.stays] = String(stays)
            e[FlagEvidenceKey.bedNights] = String(nights.count)
            e[FlagEvidenceKey.lastBedNight] = nights.max()?.description
            e[FlagEvidenceKey.projectType] = lastType.map(String.init)
        case .unshelteredHomelessness:
            let contacts = Set(items.map(\.date))
            e[FlagEvidenceKey.contacts] = String(contacts.count)
            e[FlagEvidenceKey.lastContact] = contacts.max()?.description
        case .housingInstability:
            var bases = Set<String>()
            for item in items {
                switch item {
                case .prevention: bases.insert("prevention")
                case .listStatus(let s):
                    bases.insert(s.recordType.rawValue)
                    e[FlagEvidenceKey.lastStatus] = s.status.rawValue
                    e[FlagEvidenceKey.lastStatusDate] = s.statusDate.description
                default: break
                }
            }
            e[FlagEvidenceKey.basis] = bases.sorted().joined(separator: ",")
        case .housed:
            var bases = Set<String>()
            for case .housed(_, let basis) in items { bases.insert(basis) }
            e[FlagEvidenceKey.basis] = bases.sorted().joined(separator: ",")
            e[FlagEvidenceKey.housedOn] = span.start.description
        default:
            break
        }
        return e
    }
}
