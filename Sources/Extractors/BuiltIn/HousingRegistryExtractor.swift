import LastMileCore

/// `housing-registry`: a coordinated-entry by-name list and/or eviction filings, one row per status event.
///
/// `record_type` is `by-name-list` or `eviction-filing`; `status` must belong to it (by-name list: active,
/// housed, inactive, deceased; eviction: filed, judgment, dismissed). The record id is `record_id`.
public struct HousingRegistryExtractor: Extractor {
    public static let kind = "housing-registry"
    public static let category = DataCategory.housing

    public static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("record_id", required: true),
        ColumnSpec("client_id"),
        ColumnSpec("first_name", required: true),
        ColumnSpec("last_name", required: true),
        ColumnSpec("birth_date", required: true, .date(formats: ["YYYY-MM-DD", "MM/DD/YYYY"])),
        .sex(),
        ColumnSpec("phone"),
        ColumnSpec("address_line"),
        ColumnSpec("city"),
        ColumnSpec("state"),
        ColumnSpec("postal_code"),
        ColumnSpec(
            "record_type", required: true,
            .code(
                values: HousingRecordType.allCases.map(\.rawValue),
                defaults: [
                    "by-name-list": "by-name-list", "eviction-filing": "eviction-filing",
                    "bnl": "by-name-list", "eviction": "eviction-filing",
                ],
                namespaced: false)),
        ColumnSpec(
            "status", required: true,
            .code(
                values: HousingStatus.allCases.map(\.rawValue),
                defaults: Dictionary(uniqueKeysWithValues: HousingStatus.allCases.map { ($0.rawValue, $0.rawValue) }),
                namespaced: false)),
        ColumnSpec("status_date", required: true, .date(formats: ["YYYY-MM-DD", "MM/DD/YYYY"])),
        ColumnSpec("program"),
        ColumnSpec("household_id"),
    ])

    static let byNameStatuses: Set<HousingStatus> = [.active, .housed, .inactive, .deceased]

    let source: SourceConfig

    public init(source: SourceConfig) throws { self.source = source }

    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let csv = try MappedCSV(input, layout: Self.defaultLayout, config: source)
        let recordIdColumn = csv["record_id"]
        let client = csv["client_id"]
        let first = csv["first_name"]
        let last = csv["last_name"]
        let birth = csv["birth_date"]
        let sex = csv["sex"]
        let phone = csv["phone"]
        let street = csv["address_line"]
        let city = csv["city"]
        let state = csv["state"]
        let postal = csv["postal_code"]
        let type = csv["record_type"]
        let status = csv["status"]
        let date = csv["status_date"]
        let program = csv["program"]
        let household = csv["household_id"]
        let types = HousingRecordType.allCases
        let statuses = HousingStatus.allCases
        let name = source.name
        let labels = source.labels

        try csv.forEachRow(into: &sink) { row in
            let recordId = try row.requiredText(recordIdColumn)
            guard let t = try row.code(type) else { throw row.rejection(type, .missingRequired) }
            guard let s = try row.code(status) else { throw row.rejection(status, .missingRequired) }
            let recordType = types[t]
            let recordStatus = statuses[s]
            if (recordType == .byNameList) != Self.byNameStatuses.contains(recordStatus) {
                let allowed =
                    recordType == .byNameList ? "active, housed, inactive or deceased" : "filed, judgment or dismissed"
                throw row.rejection(status, .invalid(expected: "\(allowed) for \(recordType.rawValue)"))
            }
            let person = PersonIdentity(
                sourcePersonId: try row.text(client), givenName: try row.text(first), familyName: try row.text(last),
                birthDate: try row.date(birth), sex: row.sex(sex), street: try row.text(street),
                city: try row.text(city),
                state: try row.text(state), postalCode: try row.text(postal), phone: try row.text(phone))
            let event = HousingStatusEvent(
                recordId: recordId, recordType: recordType, status: recordStatus,
                statusDate: try row.requiredDate(date),
                program: try row.text(program), householdId: try row.text(household))
            return SourceRecord(
                source: name, recordId: recordId, person: person, event: .housingStatus(event), labels: labels,
                provenance: row.provenance())
        }
    }
}
