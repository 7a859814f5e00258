import LastMileCore

/// `shelter-roster`: a shelter's own roster (not an HMIS export), one row per stay or per bed night.
///
/// A row with a `bed_date` is a bed night; any other row is a stay from `entry_date` to `exit_date` (open
/// when empty). They become the same `shelterStay` and `bedNight` events an HMIS export does, with the HMIS
/// project type from `project_type` (default: 0, entry/exit emergency shelter, for stays; 1, night-by-night,
/// for bed nights). The stay is identified by `stay_id`, else by `client_id` and the entry date, else by a
/// digest of name, birth date and entry date, so a re-sent roster updates the same stays. An exit before the
/// entry is rejected. A domestic-violence shelter's config adds `labels: [victim-service-provider]`.
public struct ShelterRosterExtractor: Extractor {
    public static let kind = "shelter-roster"
    public static let category = DataCategory.shelter

    static let dates = ["YYYY-MM-DD", "MM/DD/YYYY", "M/D/YYYY"]

    public static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("stay_id"),
        ColumnSpec("client_id"),
        ColumnSpec("first_name", required: true),
        ColumnSpec("middle_name"),
        ColumnSpec("last_name", required: true),
        ColumnSpec("suffix"),
        ColumnSpec("birth_date", required: true, .date(formats: dates)),
        .sex(),
        ColumnSpec("phone"),
        ColumnSpec("address_line"),
        ColumnSpec("city"),
        ColumnSpec("state"),
        ColumnSpec("postal_code"),
        ColumnSpec("shelter_id"),
        ColumnSpec("project_type", .integer),
        ColumnSpec("entry_date", .date(formats: dates)),
        ColumnSpec("exit_date", .date(formats: dates)),
        ColumnSpec("exit_destination", .integer),
        ColumnSpec("bed_date", .date(formats: dates)),
    ])

    let source: SourceConfig

    public init(source: SourceConfig) throws { self.source = source }

    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let csv = try MappedCSV(input, layout: Self.defaultLayout, config: source)
        let c = Columns(csv)
        guard c.entry.isPresent || c.bed.isPresent else {
            throw InputError(
                file: csv.file,
                problem: .missingColumns(
                    missing: ["\(c.entry.header) or \(c.bed.header)"], present: [], firstLine: csv.reader.headerShape))
        }
        let name = source.name
        let labels = source.labels
        try csv.forEachRow(into: &sink) { row in
            let person = try c.person(row)
            let shelter = try row.text(c.shelter) ?? name
            let projectType = try row.int(c.projectType)
            let stayId = try row.text(c.stay)
            if let night = try row.date(c.bed) {
                let enrollment = stayId ?? person.sourcePersonId ?? Self.digest(person, nil)
                let event = BedNight(enrollmentId: enrollment, projectType: projectType ?? 1, date: night)
                return SourceRecord(
                    source: name, recordId: "bed-night:\(enrollment)|\(night)", person: person,
                    event: .bedNight(event), labels: labels, provenance: row.provenance())
            }
            guard let entry = try row.date(c.entry) else { throw row.rejection(c.entry, .missingRequired) }
            let exit = try row.date(c.exit)
            if let exit, exit < entry {
                throw row.rejection(c.exit, .invalid(expected: "an exit date on or after the entry date"))
            }
            let enrollment = stayId ?? person.sourcePersonId.map { "\($0)|\(entry)" } ?? Self.digest(person, entry)
            let stay = ShelterStay(
                enrollmentId: enrollment, projectId: shelter, projectType: projectType ?? 0, entryDate: entry,
                exitDate: exit, exitDestination: try row.int(c.destination))
            return SourceRecord(
                source: name, recordId: "stay:\(enrollment)", person: person, event: .shelterStay(stay),
                labels: labels, provenance: row.provenance())
        }
    }

    /// The layout's columns, resolved once per file.
    struct Columns {
        let stay, client, first, middle, last, suffix, birth, sex, phone, street, city, state, postal: MappedColumn
        let shelter, projectType, entry, exit, destination, bed: MappedColumn

        init(_ csv: MappedCSV) {
            (stay, client, first, middle) = (csv["stay_id"], csv["client_id"], csv["first_name"], csv["middle_name"])
            (last, suffix, birth, sex) = (csv["last_name"], csv["suffix"], csv["birth_date"], csv["sex"])
            (phone, street, city, state) = (csv["phone"], csv["address_line"], csv["city"], csv["state"])
            (postal, shelter, projectType) = (csv["postal_code"], csv["shelter_id"], csv["project_type"])
            (entry, exit, destination, bed) = (
                csv["entry_date"], csv["exit_date"], csv["exit_destination"], csv["bed_date"]
            )
        }

        func person(_ row: MappedRow) throws(RowRejection) -> PersonIdentity {
            PersonIdentity(
                sourcePersonId: try row.text(client), givenName: try row.text(first), middleName: try row.text(middle),
                familyName: try row.text(last), suffix: try row.text(suffix), birthDate: try row.date(birth),
                sex: row.sex(sex), street: try row.text(street), city: try row.text(city), state: try row.text(state),
                postalCode: try row.text(postal), phone: try row.text(phone))
        }
    }

    /// A stable 64-bit FNV-1a digest of name, birth date and entry date, for rosters without any id.
    static func digest(_ person: PersonIdentity, _ entry: CivilDate?) -> String {
        let parts = [person.familyName, person.givenName, person.birthDate?.description, entry?.description]
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.map({ ($0 ?? "").lowercased() }).joined(separator: "|").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "roster-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
