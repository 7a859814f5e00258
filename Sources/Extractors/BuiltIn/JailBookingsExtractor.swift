import LastMileCore

/// `jail-bookings`: a county jail booking export, one row per booking.
///
/// The record id is the booking number, so a booking re-sent with a release date-time updates it. Charges
/// are not carried past extraction: only their count (parts of the `charges` field split on `;` or `|`).
/// A row with `juvenile` = `Y`, or a person under 18 on the booking date, is labelled `juvenile` and never
/// passes the consent gate.
public struct JailBookingsExtractor: Extractor {
    public static let kind = "jail-bookings"
    public static let category = DataCategory.justice

    static let dateTimes = [
        "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD HH:mm", "YYYY-MM-DDTHH:mm:ss", "YYYY-MM-DDTHH:mm", "MM/DD/YYYY HH:mm",
        "MM/DD/YYYY HH:mm:ss",
    ]

    public static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("booking_number", required: true),
        ColumnSpec("last_name", required: true),
        ColumnSpec("first_name", required: true),
        ColumnSpec("middle_name"),
        ColumnSpec("suffix"),
        ColumnSpec("birth_date", required: true, .date(formats: ["YYYY-MM-DD", "MM/DD/YYYY"])),
        .sex(),
        ColumnSpec("race"),
        ColumnSpec("address_line"),
        ColumnSpec("city"),
        ColumnSpec("state"),
        ColumnSpec("postal_code"),
        ColumnSpec("booking_datetime", required: true, .dateTime(formats: dateTimes)),
        // Its values may be empty (still in custody), but a file without the column would make every booking
        // read as still in custody: the column must be there (or the config says `required: false`).
        ColumnSpec("release_datetime", .dateTime(formats: dateTimes)).inHeader(),
        ColumnSpec("facility"),
        ColumnSpec("charges"),
        ColumnSpec("arresting_agency"),
        ColumnSpec("juvenile", .yesNo),
    ])

    let source: SourceConfig

    public init(source: SourceConfig) throws { self.source = source }

    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let csv = try MappedCSV(input, layout: Self.defaultLayout, config: source)
        let number = csv["booking_number"]
        let last = csv["last_name"]
        let first = csv["first_name"]
        let middle = csv["middle_name"]
        let suffix = csv["suffix"]
        let birth = csv["birth_date"]
        let sex = csv["sex"]
        let street = csv["address_line"]
        let city = csv["city"]
        let state = csv["state"]
        let postal = csv["postal_code"]
        let booked = csv["booking_datetime"]
        let released = csv["release_datetime"]
        let facility = csv["facility"]
        let charges = csv["charges"]
        let agency = csv["arresting_agency"]
        let juvenile = csv["juvenile"]
        let name = source.name
        let labels = source.labels

        try csv.forEachRow(into: &sink) { row in
            let bookingNumber = try row.requiredText(number)
            guard let bookedAt = try row.dateTime(booked) else { throw row.rejection(booked, .missingRequired) }
            let releasedAt = try row.dateTime(released)
            if let releasedAt, releasedAt < bookedAt {
                throw row.rejection(released, .invalid(expected: "a release date-time on or after the booking's"))
            }
            let birthDate = try row.date(birth)
            var recordLabels = labels
            if try row.yesNo(juvenile) == true { recordLabels.insert(.juvenile) }
            if let birthDate, birthDate.age(on: bookedAt.date) < 18 { recordLabels.insert(.juvenile) }
            let person = PersonIdentity(
                sourcePersonId: nil, givenName: try row.text(first), middleName: try row.text(middle),
                familyName: try row.text(last), suffix: try row.text(suffix), birthDate: birthDate,
                sex: row.sex(sex), street: try row.text(street), city: try row.text(city), state: try row.text(state),
                postalCode: try row.text(postal))
            let booking = Booking(
                bookingNumber: bookingNumber, bookedAt: bookedAt, releasedAt: releasedAt,
                facility: try row.text(facility),
                chargeCount: charges.isPresent ? Self.count(row.row.bytes(charges.index)) : nil,
                agency: try row.text(agency))
            return SourceRecord(
                source: name, recordId: bookingNumber, person: person, event: .booking(booking), labels: recordLabels,
                provenance: row.provenance())
        }
    }

    /// Non-empty parts separated by `;` or `|`, counted on the bytes (the charge text is never a String).
    static func count(_ bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        var inPart = false
        for b in bytes {
            if b == UInt8(ascii: ";") || b == UInt8(ascii: "|") {
                inPart = false
            } else if b != 32 && b != 9 && !inPart {
                inPart = true
                count += 1
            }
        }
        return count
    }
}
