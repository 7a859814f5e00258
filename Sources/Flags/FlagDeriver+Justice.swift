import LastMileCore

extension FlagDeriver {
    /// Incarceration while a booking is open (Z65.1) and recent release for the window after it (Z65.2).
    ///
    /// A booking re-sent with the same number replaces the earlier record (a release fills it in). A new
    /// booking inside a release window ends that window: the person is back in custody.
    func justiceFlags(_ events: PatientEvents, asOf: CivilDate) -> [Flag] {
        var order: [String] = []
        var latest: [String: Sourced<Booking>] = [:]
        for item in events.bookings where item.event.bookedAt.date <= asOf {
            let key = "\(item.source)\u{0}\(item.event.bookingNumber)"
            if latest[key] == nil { order.append(key) }
            latest[key] = item
        }
        let bookings = order.compactMap { latest[$0] }
        let bookingDates = bookings.map(\.event.bookedAt.date).sorted()
        let window = rules.justice.releaseWindowDays

        var custody: [String: [Span<Booking>]] = [:]
        var released: [String: [Span<Booking>]] = [:]
        for item in bookings {
            let booking = item.event
            let release = booking.releasedAt.map(\.date).flatMap { $0 <= asOf ? $0 : nil }
            custody[item.source, default: []].append(
                Span(
                    start: booking.bookedAt.date, end: release.map { max($0, booking.bookedAt.date) }, items: [booking])
            )
            if let release {
                let span = Span(start: release, end: release.adding(days: window), items: [booking])
                released[item.source, default: []].append(span.cut(at: bookingDates))
            }
        }

        var flags: [Flag] = []
        for (source, spans) in custody {
            for span in Span.merge(spans) {
                let releases = span.items.compactMap { $0.releasedAt?.date }.filter { $0 <= asOf }
                var e: [String: String] = [FlagEvidenceKey.bookedOn: span.start.description]
                if let end = span.end {
                    e[FlagEvidenceKey.releasedOn] = releases.max()?.description ?? end.description
                }
                e[FlagEvidenceKey.daysInCustody] = String(span.start.days(until: span.end ?? asOf))
                flags.append(
                    flag(
                        .incarceration, patient: events.patientId, source: source, start: span.start, end: span.end,
                        asOf: asOf, evidence: e))
            }
        }
        for (source, spans) in released {
            for span in Span.merge(spans) {
                let last = span.items.compactMap { $0.releasedAt?.date }.filter { $0 <= asOf }.max() ?? span.start
                let e = [
                    FlagEvidenceKey.releasedOn: last.description,
                    FlagEvidenceKey.windowDays: String(window),
                ]
                flags.append(
                    flag(
                        .recentRelease, patient: events.patientId, source: source, start: span.start, end: span.end,
                        asOf: asOf, evidence: e))
            }
        }
        return flags
    }
}
