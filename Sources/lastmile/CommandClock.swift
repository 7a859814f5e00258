import ArgumentParser
import Foundation
import LastMileCore

extension GlobalOptions {
    /// The process's one clock (see `Clock` for the time-zone rule): the system clock in the local time zone,
    /// or, when `LASTMILE_NOW` holds an ISO 8601 instant with a zone (`2026-11-23T06:00:00Z`), that instant —
    /// for tests through the built binary and for re-making a past day's output. Every command reads "now" and
    /// "today" from it.
    func clock() throws -> Clock {
        guard let fixed = ProcessInfo.processInfo.environment["LASTMILE_NOW"], !fixed.isEmpty else {
            return .system
        }
        guard let instant = Clock.instant(iso8601: fixed) else {
            throw ValidationError("LASTMILE_NOW: expected an ISO 8601 instant with a zone, e.g. 2026-11-23T06:00:00Z")
        }
        return .fixed(instant, timeZone: .current)
    }
}
