import LastMileCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `hmis-csv`: a HUD HMIS CSV export folder (FY2024 or FY2026 column sets).
///
/// Emits one `shelterStay` per enrollment (ProjectType from Project.csv, ExitDate and Destination from
/// Exit.csv) and one `bedNight` per Services.csv row with RecordType 200. Rules:
/// - soft-deleted rows (DateDeleted set) of any file are skipped, and so is everything hanging off them;
/// - data-quality codes are honoured: a name is kept for NameDataQuality 1 or 2, a birth date only for
///   DOBDataQuality 1, a full SSN only for SSNDataQuality 1 with nine digits (placeholders such as
///   `000000000` dropped); with quality 2 only complete last four digits are kept; 8, 9, 99 keep nothing;
/// - an enrollment at an Organization with VictimServiceProvider = 1, or a Project with
///   TargetPopulation = 1, is labelled `victim-service-provider` (the consent gate drops it);
/// - an enrollment whose client or project is missing is rejected as an unknown reference.
/// Record ids: `enrollment:<EnrollmentID>` and `bed-night:<ServicesID>`.
public struct HMISCSVExtractor: Extractor {
    public static let kind = "hmis-csv"
    public static let category = DataCategory.shelter
    public static let inputKind = InputKind.folder
    public static let defaultLayout = SourceLayout(
        columns: [],
        files: [
            "Export.csv", "Organization.csv", "Project.csv", "Client.csv", "Enrollment.csv", "Exit.csv", "Services.csv",
        ])

    static let dates = [DateFormat.iso, DateFormat("M/D/YYYY")!]
    static let dateNames = ["YYYY-MM-DD", "M/D/YYYY"]

    let source: SourceConfig

    public init(source: SourceConfig) throws { self.source = source }

    struct ProjectInfo {
        var type: Int?
        var restricted: Bool
    }

    struct ExitInfo {
        var date: CivilDate
        var destination: Int?
    }

    struct EnrollmentInfo {
        var projectType: Int
        var personalId: String
        var restricted: Bool
    }

    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        var isDirectory: Bool = false
        var info = stat()
        if stat(input.path, &info) == 0 { isDirectory = (info.st_mode & S_IFMT) == S_IFDIR }
        guard isDirectory else {
            throw InputError(file: input.name, problem: .wrongKind(expected: "an HMIS CSV export folder"))
        }
        for name in Self.defaultLayout.files where access(input.path + "/" + name, R_OK) != 0 {
            // Services.csv is optional: not every export has bed nights.
            if name == "Services.csv" { continue }
            throw InputError(file: input.name, problem: .missingFile(name: name))
        }

        // Organization → victim service provider.
        var vspOrganizations: Set<String> = []
        var organizations: Set<String> = []
        try load(input, "Organization.csv", ["OrganizationID", "VictimServiceProvider"], into: &sink) { r, c in
            let id = try r.requiredText(c[0])
            organizations.insert(id)
            if r.row.int(c[1].index) == 1 { vspOrganizations.insert(id) }
        }

        var projects: [String: ProjectInfo] = [:]
        try load(
            input, "Project.csv", ["ProjectID", "OrganizationID", "ProjectType", "?TargetPopulation"], into: &sink
        ) { r, c in
            let id = try r.requiredText(c[0])
            let org = try r.requiredText(c[1])
            guard organizations.contains(org) else {
                throw r.rejection(c[1], .unknownReference(file: "Organization.csv"))
            }
            let type = try r.int(c[2])
            projects[id] = ProjectInfo(
                type: type, restricted: vspOrganizations.contains(org) || r.row.int(c[3].index) == 1)
        }

        var people: [String: PersonIdentity] = [:]
        let deletedClients = try load(
            input, "Client.csv",
            [
                "PersonalID", "?FirstName", "?MiddleName", "?LastName", "?NameSuffix", "NameDataQuality", "?SSN",
                "SSNDataQuality", "?DOB", "DOBDataQuality", "?Sex",
            ],
            into: &sink
        ) { r, c in
            let id = try r.requiredText(c[0])
            let nameQuality = r.row.int(c[5].index)
            let keepName = nameQuality == 1 || nameQuality == 2
            var person = PersonIdentity(sourcePersonId: id)
            if keepName {
                person.givenName = r.row.string(c[1].index)
                person.middleName = r.row.string(c[2].index)
                person.familyName = r.row.string(c[3].index)
                person.suffix = r.row.string(c[4].index)
            }
            (person.ssn, person.ssnLast4) = Self.ssn(r.row.bytes(c[6].index), quality: r.row.int(c[7].index))
            if r.row.int(c[9].index) == 1, !r.row.isEmpty(c[8].index) {
                guard let dob = r.row.date(c[8].index, formats: Self.dates) else {
                    throw r.rejection(c[8], .unparseableDate(accepted: Self.dateNames))
                }
                person.birthDate = dob
            }
            switch r.row.int(c[10].index) {
            case 0: person.sex = .female
            case 1: person.sex = .male
            default: person.sex = nil
            }
            people[id] = person
        }

        var exits: [String: ExitInfo] = [:]
        try load(input, "Exit.csv", ["EnrollmentID", "ExitDate", "?Destination"], into: &sink) { r, c in
            let enrollment = try r.requiredText(c[0])
            exits[enrollment] = ExitInfo(date: try r.requiredDate(c[1]), destination: try r.int(c[2]))
        }

        var enrollments: [String: EnrollmentInfo] = [:]
        let sourceName = source.name
        let labels = source.labels
        let deletedEnrollments = try read(
            input, "Enrollment.csv", ["EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "?MoveInDate"],
            into: &sink
        ) { r, c in
            let id = try r.requiredText(c[0])
            let personalId = try r.requiredText(c[1])
            let projectId = try r.requiredText(c[2])
            if deletedClients.contains(personalId) { return nil }
            guard let person = people[personalId] else {
                throw r.rejection(c[1], .unknownReference(file: "Client.csv"))
            }
            guard let project = projects[projectId] else {
                throw r.rejection(c[2], .unknownReference(file: "Project.csv"))
            }
            guard let projectType = project.type else {
                throw r.rejection(c[2], .invalid(expected: "a project with a ProjectType in Project.csv"))
            }
            let entry = try r.requiredDate(c[3])
            let exit = exits[id]
            if let exit, exit.date < entry {
                throw r.rejection(c[3], .invalid(expected: "an EntryDate on or before the enrollment's ExitDate"))
            }
            enrollments[id] = EnrollmentInfo(
                projectType: projectType, personalId: personalId, restricted: project.restricted)
            let stay = ShelterStay(
                enrollmentId: id, projectId: projectId, projectType: projectType, entryDate: entry,
                exitDate: exit?.date,
                moveInDate: try r.date(c[4]), exitDestination: exit?.destination)
            var recordLabels = labels
            if project.restricted { recordLabels.insert(.victimServiceProvider) }
            return SourceRecord(
                source: sourceName, recordId: "enrollment:\(id)", person: person, event: .shelterStay(stay),
                labels: recordLabels, provenance: r.provenance())
        }

        guard access(input.path + "/Services.csv", R_OK) == 0 else { return }
        try read(
            input, "Services.csv", ["ServicesID", "EnrollmentID", "DateProvided", "RecordType"], into: &sink
        ) { r, c in
            guard r.row.int(c[3].index) == 200 else { return nil }
            let id = try r.requiredText(c[0])
            let enrollmentId = try r.requiredText(c[1])
            // A bed night of a deleted enrollment goes with it; one of a rejected enrollment is rejected too.
            if deletedEnrollments.contains(enrollmentId) { return nil }
            guard let enrollment = enrollments[enrollmentId], let person = people[enrollment.personalId] else {
                throw r.rejection(c[1], .unknownReference(file: "Enrollment.csv"))
            }
            let night = BedNight(
                enrollmentId: enrollmentId, projectType: enrollment.projectType, date: try r.requiredDate(c[2]))
            var recordLabels = labels
            if enrollment.restricted { recordLabels.insert(.victimServiceProvider) }
            return SourceRecord(
                source: sourceName, recordId: "bed-night:\(id)", person: person, event: .bedNight(night),
                labels: recordLabels, provenance: r.provenance())
        }
    }

    /// Reads one file of the export. Column names starting with `?` are optional. Rows with `DateDeleted` set
    /// are skipped; the ids in their first column are returned, so what hangs off them can be skipped too.
    @discardableResult
    private func read(
        _ folder: InputLocation, _ file: String, _ names: [String], into sink: inout some RecordSink,
        _ body: (MappedRow, [MappedColumn]) throws -> SourceRecord?
    ) throws -> Set<String> {
        let columns =
            names.map { name -> ColumnSpec in
                let optional = name.hasPrefix("?")
                let header = optional ? String(name.dropFirst()) : name
                let isDate = ["ExitDate", "EntryDate", "MoveInDate", "DateProvided"].contains(header)
                return ColumnSpec(header, required: !optional, isDate ? .date(formats: Self.dateNames) : .text)
            } + [ColumnSpec("DateDeleted")]
        let layout = SourceLayout(name: "hmis", columns: columns)
        let csv = try MappedCSV(
            InputLocation(path: folder.path + "/" + file, name: folder.name + "/" + file), layout: layout,
            config: SourceConfig(name: source.name, extractor: Self.kind, dialect: source.dialect))
        let mapped = layout.columns.map { csv[$0.name] }
        let deleted = mapped[mapped.count - 1]
        var deletedIds: Set<String> = []
        try csv.forEachRow(into: &sink) { row in
            if !row.row.isEmpty(deleted.index) {
                if let id = row.row.string(mapped[0].index) { deletedIds.insert(id) }
                return nil
            }
            return try body(row, mapped)
        }
        return deletedIds
    }

    /// The side-effect-only form for files that produce no records.
    @discardableResult
    private func load(
        _ folder: InputLocation, _ file: String, _ names: [String], into sink: inout some RecordSink,
        _ body: (MappedRow, [MappedColumn]) throws -> Void
    ) throws -> Set<String> {
        try read(folder, file, names, into: &sink) { (r: MappedRow, c: [MappedColumn]) throws -> SourceRecord? in
            try body(r, c)
            return nil
        }
    }

    /// HMIS 3.02: a full SSN only with quality 1 and nine real digits; last four with quality 1 or 2 when known.
    static func ssn(_ bytes: UnsafeRawBufferPointer, quality: Int?) -> (String?, String?) {
        guard quality == 1 || quality == 2, bytes.count == 9 else { return (nil, nil) }
        let text = String(decoding: bytes, as: UTF8.self)
        let digits = text.allSatisfy { $0.isASCII && $0.isNumber }
        let last4 = String(text.suffix(4))
        let last4Known = last4.allSatisfy { $0.isASCII && $0.isNumber } && last4 != "0000"
        guard digits, quality == 1 else { return (nil, last4Known ? last4 : nil) }
        // Placeholders and numbers the SSA never issues: area 000, 666 or 9xx, group 00, serial 0000.
        let area = text.prefix(3)
        let group = text.dropFirst(3).prefix(2)
        if area == "000" || area == "666" || area.hasPrefix("9") || group == "00" || last4 == "0000"
            || Set(text).count == 1
        {
            return (nil, nil)
        }
        return (text, last4)
    }
}
