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
            unnamedCase("attendance") { j in
                j.field("schoolId", e.schoolId)
                j.field("schoolName", e.schoolName)
                j.field("grade", e.grade)
                j.field("date", e.date.description)
                j.field("status", e.status.rawValue)
                j.field("minutesAbsent", e.minutesAbsent)
            }
        case .enrollment(let e):
            unnamedCase("enrollment") { j in
                j.field("schoolId", e.schoolId)
                j.field("entryDate", e.entryDate.description)
                j.field("exitDate", e.exitDate?.description)
            }
        case .attendanceTotals(let e):
            unnamedCase("attendanceTotals") { j in
                j.field("schoolId", e.schoolId)
                j.field("schoolName", e.schoolName)
                j.field("grade", e.grade)
                j.field("asOf", e.asOf.description)
                j.key("daysAbsent")
                j.number(e.daysAbsent)
                j.field("daysEnrolled", e.daysEnrolled)
            }
        case .shelterStay(let e):
            unnamedCase("shelterStay") { j in
                j.field("enrollmentId", e.enrollmentId)
                j.field("projectId", e.projectId)
                j.field("projectType", e.projectType)
                j.field("entryDate", e.entryDate.description)
                j.field("exitDate", e.exitDate?.description)
                j.field("moveInDate", e.moveInDate?.description)
                j.field("exitDestination", e.exitDestination)
            }
        case .bedNight(let e):
            unnamedCase("bedNight") { j in
                j.field("enrollmentId", e.enrollmentId)
                j.field("projectType", e.projectType)
                j.field("date", e.date.description)
            }
        case .booking(let e):
            unnamedCase("booking") { j in
                j.field("bookingNumber", e.bookingNumber)
                j.key("bookedAt")
                j.dateTime(e.bookedAt)
                if let released = e.releasedAt {
                    j.key("releasedAt")
                    j.dateTime(released)
                }
                j.field("facility", e.facility)
                j.field("chargeCount", e.chargeCount)
                j.field("agency", e.agency)
            }
        case .housingStatus(let e):
            unnamedCase("housingStatus") { j in
                j.field("recordId", e.recordId)
                j.field("recordType", e.recordType.rawValue)
                j.field("status", e.status.rawValue)
                j.field("statusDate", e.statusDate.description)
                j.field("program", e.program)
                j.field("householdId", e.householdId)
            }
        }
        close()
    }

    /// `"name":{"_0":{…}}`, the fields written by `fields`.
    private mutating func unnamedCase(_ name: StaticString, _ fields: (inout HeldRecordJSON) -> Void) {
        key(name)
        open()
        key("_0")
        open()
        fields(&self)
        close()
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
