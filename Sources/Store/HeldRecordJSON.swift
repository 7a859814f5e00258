import LastMileCore

/// Writes a `SourceRecord` as the JSON its synthesised `Codable` conformance reads back (`JSONDecoder`), without
/// `JSONEncoder`: the nightly run holds a hundred thousand records for people in review, and `JSONEncoder` cost
/// more than storing them (docs/benchmarks/nightly.md, run 8).
///
/// The output is the same JSON value as `JSONEncoder` gives (the same keys, absent optionals left out, dates as
/// `YYYY-MM-DD`), so `jsonb` finds a record stored by either one equal; only key order and the escaping of `/`
/// differ, which `jsonb` does not keep. A test holds the two to the same value for every kind of event.
package struct HeldRecordJSON {
    /// The JSON of the record written last (reused between records).
    package private(set) var bytes: [UInt8] = []

    package init() { bytes.reserveCapacity(1024) }

    /// Replaces `bytes` with the JSON of `record`.
    package mutating func write(_ record: SourceRecord) {
        bytes.removeAll(keepingCapacity: true)
        open()
        field("source", record.source)
        field("recordId", record.recordId)
        key("person")
        person(record.person)
        key("event")
        event(record.event)
        key("labels")
        bytes.append(UInt8(ascii: "["))
        for (i, label) in record.labels.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(label.rawValue)
        }
        bytes.append(UInt8(ascii: "]"))
        key("provenance")
        open()
        field("file", record.provenance.file)
        field("line", record.provenance.line)
        close()
        close()
    }

    private mutating func person(_ p: PersonIdentity) {
        open()
        field("sourcePersonId", p.sourcePersonId)
        field("givenName", p.givenName)
        field("middleName", p.middleName)
        field("familyName", p.familyName)
        field("suffix", p.suffix)
        field("birthDate", p.birthDate?.description)
        field("sex", p.sex?.rawValue)
        field("street", p.street)
        field("city", p.city)
        field("state", p.state)
        field("postalCode", p.postalCode)
        field("phone", p.phone)
        field("ssn", p.ssn)
        field("ssnLast4", p.ssnLast4)
        close()
    }

    /// An enum case with one unnamed value, as synthesised: `{"case":{"_0":{…}}}`.
    private mutating func event(_ event: SourceEvent) {
        open()
        switch event {
        case .attendance(let e):
            key("attendance")
            open()
            key("_0")
            open()
            field("schoolId", e.schoolId)
            field("schoolName", e.schoolName)
            field("grade", e.grade)
            field("date", e.date.description)
            field("status", e.status.rawValue)
            field("minutesAbsent", e.minutesAbsent)
            close()
            close()
        case .enrollment(let e):
            key("enrollment")
            open()
            key("_0")
            open()
            field("schoolId", e.schoolId)
            field("entryDate", e.entryDate.description)
            field("exitDate", e.exitDate?.description)
            close()
            close()
        case .attendanceTotals(let e):
            key("attendanceTotals")
            open()
            key("_0")
            open()
            field("schoolId", e.schoolId)
            field("schoolName", e.schoolName)
            field("grade", e.grade)
            field("asOf", e.asOf.description)
            key("daysAbsent")
            number(e.daysAbsent)
            field("daysEnrolled", e.daysEnrolled)
            close()
            close()
        case .shelterStay(let e):
            key("shelterStay")
            open()
            key("_0")
            open()
            field("enrollmentId", e.enrollmentId)
            field("projectId", e.projectId)
            field("projectType", e.projectType)
            field("entryDate", e.entryDate.description)
            field("exitDate", e.exitDate?.description)
            field("moveInDate", e.moveInDate?.description)
            field("exitDestination", e.exitDestination)
            close()
            close()
        case .bedNight(let e):
            key("bedNight")
            open()
            key("_0")
            open()
            field("enrollmentId", e.enrollmentId)
            field("projectType", e.projectType)
            field("date", e.date.description)
            close()
            close()
        case .booking(let e):
            key("booking")
            open()
            key("_0")
            open()
            field("bookingNumber", e.bookingNumber)
            key("bookedAt")
            dateTime(e.bookedAt)
            if let released = e.releasedAt {
                key("releasedAt")
                dateTime(released)
            }
            field("facility", e.facility)
            field("chargeCount", e.chargeCount)
            field("agency", e.agency)
            close()
            close()
        case .housingStatus(let e):
            key("housingStatus")
            open()
            key("_0")
            open()
            field("recordId", e.recordId)
            field("recordType", e.recordType.rawValue)
            field("status", e.status.rawValue)
            field("statusDate", e.statusDate.description)
            field("program", e.program)
            field("householdId", e.householdId)
            close()
            close()
        }
        close()
    }

    private mutating func dateTime(_ t: CivilDateTime) {
        open()
        field("date", t.date.description)
        field("secondOfDay", t.secondOfDay)
        close()
    }

    // MARK: JSON

    /// Whether the object being written has no member yet.
    private var first = true

    private mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    /// Ends an object; its parent has a member (the key written before it).
    private mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    private mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A member, left out when nil (as `encodeIfPresent`).
    private mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    private mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func number(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
