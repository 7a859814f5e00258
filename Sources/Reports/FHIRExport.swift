import Foundation
import LastMileCore

/// The demographics a minimal FHIR Patient carries.
/// - Important: personal data. Never log a field of this type.
public struct FHIRPatient: Sendable, Hashable {
    /// The HIE patient id; it is the resource id and what Flag subjects reference.
    public var id: String
    public var givenName: String?
    public var familyName: String?
    public var birthDate: CivilDate?
    public var sex: Sex?
    /// The practice's own chart number for the patient, with the practice that assigned it.
    public var chartNumber: FHIRChartNumber?

    public init(
        id: String, givenName: String? = nil, familyName: String? = nil, birthDate: CivilDate? = nil, sex: Sex? = nil,
        chartNumber: FHIRChartNumber? = nil
    ) {
        self.id = id
        self.givenName = givenName
        self.familyName = familyName
        self.birthDate = birthDate
        self.sex = sex
        self.chartNumber = chartNumber
    }
}

/// A practice's chart number (`practice_patient_id`) for a patient, written as a second Patient identifier.
/// - Important: personal data. Never log `value`.
public struct FHIRChartNumber: Sendable, Hashable {
    public var practiceId: String
    /// Shown as the identifier's `assigner.display`; the practice id when nil.
    public var practiceName: String?
    public var value: String

    public init(practiceId: String, practiceName: String?, value: String) {
        self.practiceId = practiceId
        self.practiceName = practiceName
        self.value = value
    }

    /// The identifier system of a practice's chart numbers.
    public var system: String { "urn:lastmile:practice:\(practiceId):chart-number" }
}

/// What the warehouse knows about a flag beyond the flag itself.
public struct FHIRFlagProvenance: Sendable, Hashable {
    /// When the flag was last written (its run's start); the Flag's `meta.lastUpdated`.
    public var lastUpdated: Date?
    /// The last day of source data behind the flag (its run's as-of date).
    public var dataThrough: CivilDate?

    public init(lastUpdated: Date? = nil, dataThrough: CivilDate? = nil) {
        self.lastUpdated = lastUpdated
        self.dataThrough = dataThrough
    }
}

/// Serialises flags and patients as FHIR R4 resources in the Bulk Data NDJSON layout.
public struct FHIRExport: Sendable {
    /// The `Organization` reference written as each Flag's author; nil leaves `author` out.
    public var author: String?
    /// The identifier system of the HIE's patient ids on Patient resources.
    public var patientIdentifierSystem: String
    /// The export's transaction time: `meta.lastUpdated` of every resource without a later-known update time;
    /// nil leaves `meta.lastUpdated` out (for callers that serialise single resources).
    public var transactionTime: Date?
    /// The name of the `Organization` written for `author` (`Organization.ndjson`).
    public var authorName: String

    public init(
        author: String? = "Organization/lastmile-hie", patientIdentifierSystem: String = "urn:lastmile:hie-patient-id",
        transactionTime: Date? = nil, authorName: String = FHIRExport.defaultAuthorName
    ) {
        self.author = author
        self.patientIdentifierSystem = patientIdentifierSystem
        self.transactionTime = transactionTime
        self.authorName = authorName
    }

    public static let defaultAuthorName = "lastmile health information exchange"
    /// The R4 core extension that points a Flag at the resource detailing it.
    public static let flagDetailExtension = "http://hl7.org/fhir/StructureDefinition/flag-detail"
    public static let observationCodeSystem = "urn:lastmile:observation"
    public static let observationCategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category"
    public static let ucum = "http://unitsofmeasure.org"
    public static let identifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203"

    public static let confidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
    public static let actCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    public static let sdohccCategorySystem =
        "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
    public static let usCoreCategorySystem = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
    /// The meta tag system whose code names the flag's source (e.g. `coc-hmis`).
    public static let sourceTagSystem = "urn:lastmile:source"

    /// The SDOH Clinical Care category of a kind (formats.md §5.3).
    public static func sdohCategory(_ kind: FlagKind) -> String {
        switch kind {
        case .chronicAbsenteeism: "educational-attainment"
        case .shelteredHomelessness, .unshelteredHomelessness: "homelessness"
        case .incarceration, .recentRelease: "incarceration-status"
        case .housingInstability, .housed: "housing-instability"
        }
    }

    /// DS4P labels (consent.md §6.2): every flag R + SOC; homelessness and housing also LIVARG.
    public static func securityLabels(_ kind: FlagKind) -> [(system: String, code: String)] {
        var labels = [(confidentialitySystem, "R"), (actCodeSystem, "SOC")]
        if kind.category == .shelter || kind.category == .housing { labels.append((actCodeSystem, "LIVARG")) }
        return labels
    }

    /// A FHIR id for a flag, stable for its upsert key (patient, kind, source, period start): `flag-` and
    /// 16 hex digits of FNV-1a 64.
    public static func flagId(_ flag: Flag) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(flag.patientId)\u{0}\(flag.kind.rawValue)\u{0}\(flag.source)\u{0}\(flag.periodStart)".utf8 {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "flag-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// One R4 Flag resource: status, category, code (ICD-10-CM, SNOMED CT where known, local), subject,
    /// period, security labels, a meta tag naming the source, and (absenteeism with counts) a `flag-detail`
    /// extension referencing its evidence `Observation`.
    public func flagResource(_ flag: Flag, id: String? = nil, provenance: FHIRFlagProvenance = .init()) -> JSONValue {
        let kind = flag.kind
        let flagId = id ?? FHIRExport.flagId(flag)
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Flag")),
            ("id", .string(flagId)),
            ("meta", meta(kind, lastUpdated: provenance.lastUpdated, source: flag.source)),
        ]
        if FHIRExport.hasAbsenceEvidence(flag) {
            let reference = "Observation/" + FHIRExport.observationId(flagId: flagId)
            members.append(
                (
                    "extension",
                    .array([
                        .object([
                            ("url", .string(FHIRExport.flagDetailExtension)),
                            ("valueReference", .object([("reference", .string(reference))])),
                        ])
                    ])
                ))
        }
        members += [
            ("status", .string(flag.status.rawValue)),
            (
                "category",
                .array([
                    FHIRExport.concept(FHIRExport.usCoreCategorySystem, "sdoh"),
                    FHIRExport.concept(FHIRExport.sdohccCategorySystem, FHIRExport.sdohCategory(kind)),
                ])
            ),
            (
                "code",
                .object([
                    (
                        "coding",
                        .array(
                            flag.codes.map {
                                .object([
                                    ("system", .string($0.system)), ("code", .string($0.code)),
                                    ("display", .string($0.display)),
                                ])
                            })
                    ),
                    ("text", .string(FHIRExport.text(flag))),
                ])
            ),
            ("subject", .object([("reference", .string("Patient/\(flag.patientId)"))])),
        ]
        var period: [(String, JSONValue)] = [("start", .string(flag.periodStart.description))]
        if let end = flag.periodEnd { period.append(("end", .string(end.description))) }
        members.append(("period", .object(period)))
        if let author { members.append(("author", .object([("reference", .string(author))]))) }
        return .object(members)
    }

    /// `meta`: `lastUpdated` (the given time, else the transaction time), the kind's security labels and the
    /// source tag.
    func meta(_ kind: FlagKind, lastUpdated: Date?, source: String) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let instant = lastUpdated ?? transactionTime {
            members.append(("lastUpdated", .string(Self.instant(instant))))
        }
        members.append(
            (
                "security",
                .array(
                    FHIRExport.securityLabels(kind).map {
                        .object([("system", .string($0.system)), ("code", .string($0.code))])
                    })
            ))
        members.append(
            ("tag", .array([.object([("system", .string(FHIRExport.sourceTagSystem)), ("code", .string(source))])])))
        return .object(members)
    }

    /// `meta` with only `lastUpdated` (the transaction time), or nil without one.
    func plainMeta() -> (String, JSONValue)? {
        transactionTime.map { ("meta", .object([("lastUpdated", .string(Self.instant($0)))])) }
    }

    /// An instant as FHIR writes it: ISO 8601 in UTC, seconds precision (`2026-11-23T06:00:00Z`).
    public static func instant(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Whether a flag carries the absence counts an evidence `Observation` is made from.
    public static func hasAbsenceEvidence(_ flag: Flag) -> Bool {
        flag.kind == .chronicAbsenteeism && Double(flag.evidence[FlagEvidenceKey.rate] ?? "") != nil
            && Int(flag.evidence[FlagEvidenceKey.daysAbsent] ?? "") != nil
            && Int(flag.evidence[FlagEvidenceKey.daysEnrolled] ?? "") != nil
    }

    /// The id of the evidence Observation of a flag: the flag id with `obs-` for `flag-`.
    public static func observationId(flagId: String) -> String {
        "obs-" + (flagId.hasPrefix("flag-") ? String(flagId.dropFirst(5)) : flagId)
    }

    /// The absenteeism evidence of a flag as an R4 Observation (nil without counts): the rate as a
    /// percentage in `valueQuantity`, days absent, days enrolled and the data's through-date as components,
    /// `effectivePeriod` from the school year's start to the through-date.
    public func observationResource(_ flag: Flag, flagId: String? = nil, provenance: FHIRFlagProvenance = .init())
        -> JSONValue?
    {
        guard FHIRExport.hasAbsenceEvidence(flag), let rate = Double(flag.evidence[FlagEvidenceKey.rate] ?? ""),
            let absent = Int(flag.evidence[FlagEvidenceKey.daysAbsent] ?? ""),
            let enrolled = Int(flag.evidence[FlagEvidenceKey.daysEnrolled] ?? "")
        else { return nil }
        let id = FHIRExport.observationId(flagId: flagId ?? FHIRExport.flagId(flag))
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Observation")),
            ("id", .string(id)),
            ("meta", meta(flag.kind, lastUpdated: provenance.lastUpdated, source: flag.source)),
            ("status", .string("final")),
            (
                "category",
                .array([
                    FHIRExport.concept(FHIRExport.observationCategorySystem, "social-history"),
                    FHIRExport.concept(FHIRExport.sdohccCategorySystem, FHIRExport.sdohCategory(flag.kind)),
                ])
            ),
            ("code", Self.localCode("school-absence-rate", "School absence rate, school year to date")),
            ("subject", .object([("reference", .string("Patient/\(flag.patientId)"))])),
        ]
        let start = flag.evidence[FlagEvidenceKey.schoolYearStart].flatMap(CivilDate.init(iso:))
        var effective: [(String, JSONValue)] = []
        if let start { effective.append(("start", .string(start.description))) }
        if let through = provenance.dataThrough { effective.append(("end", .string(through.description))) }
        if !effective.isEmpty { members.append(("effectivePeriod", .object(effective))) }
        members.append(("valueQuantity", Self.quantity(.decimal(rate * 100, places: 2), unit: "%", code: "%")))
        var components: [JSONValue] = [
            .object([
                ("code", Self.localCode("days-absent", "Days absent")),
                ("valueQuantity", Self.quantity(.number(absent), unit: "days", code: "d")),
            ]),
            .object([
                ("code", Self.localCode("days-enrolled", "Days enrolled")),
                ("valueQuantity", Self.quantity(.number(enrolled), unit: "days", code: "d")),
            ]),
        ]
        if let through = provenance.dataThrough {
            components.append(
                .object([
                    ("code", Self.localCode("data-through", "Attendance data through")),
                    ("valueDateTime", .string(through.description)),
                ]))
        }
        members.append(("component", .array(components)))
        return .object(members)
    }

    /// The `Organization` `author` references (`Organization/<id>`); nil when there is no author.
    public func authorOrganization() -> JSONValue? {
        guard let author, author.hasPrefix("Organization/") else { return nil }
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Organization")), ("id", .string(String(author.dropFirst(13)))),
        ]
        if let meta = plainMeta() { members.append(meta) }
        members += [("active", .bool(true)), ("name", .string(authorName))]
        return .object(members)
    }

    static func localCode(_ code: String, _ display: String) -> JSONValue {
        .object([
            (
                "coding",
                .array([
                    .object([
                        ("system", .string(observationCodeSystem)), ("code", .string(code)),
                        ("display", .string(display)),
                    ])
                ])
            ),
            ("text", .string(display)),
        ])
    }

    static func quantity(_ value: JSONValue, unit: String, code: String) -> JSONValue {
        .object([("value", value), ("unit", .string(unit)), ("system", .string(ucum)), ("code", .string(code))])
    }

    /// A minimal R4 Patient: id, the HIE identifier, name, gender and birth date when known.
    public func patientResource(_ p: FHIRPatient) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Patient")),
            ("id", .string(p.id)),
        ]
        if let meta = plainMeta() { members.append(meta) }
        var identifiers: [JSONValue] = [
            .object([("system", .string(patientIdentifierSystem)), ("value", .string(p.id))])
        ]
        if let chart = p.chartNumber, !chart.value.isEmpty {
            identifiers.append(
                .object([
                    ("use", .string("usual")),
                    ("type", FHIRExport.concept(FHIRExport.identifierTypeSystem, "MR")),
                    ("system", .string(chart.system)), ("value", .string(chart.value)),
                    ("assigner", .object([("display", .string(chart.practiceName ?? chart.practiceId))])),
                ]))
        }
        members.append(("identifier", .array(identifiers)))
        var name: [(String, JSONValue)] = []
        if let family = p.familyName, !family.isEmpty { name.append(("family", .string(family))) }
        if let given = p.givenName, !given.isEmpty { name.append(("given", .array([.string(given)]))) }
        if !name.isEmpty { members.append(("name", .array([.object(name)]))) }
        if let sex = p.sex {
            let gender =
                switch sex {
                case .female: "female"
                case .male: "male"
                case .other: "other"
                }
            members.append(("gender", .string(gender)))
        }
        if let birth = p.birthDate { members.append(("birthDate", .string(birth.description))) }
        return .object(members)
    }

    /// Resources as NDJSON: one compact JSON object per line, each line ending in LF.
    public static func ndjson(_ resources: [JSONValue]) -> String {
        String(decoding: ndjsonBytes(resources), as: UTF8.self)
    }

    /// `ndjson(_:)` as UTF-8 bytes, without building a String.
    public static func ndjsonBytes(_ resources: [JSONValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(resources.count * 900)
        for r in resources {
            r.write(into: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Writes the export's files (see `files(flags:patients:provenance:)`) into `directory` (created 0700;
    /// files 0600), all or none.
    /// - Returns: the files, Flag first.
    @discardableResult
    public func write(
        flags: [Flag], patients: [FHIRPatient], provenance: [String: FHIRFlagProvenance] = [:], to directory: URL
    ) throws -> [URL] {
        try PrivateFiles.writeAll(
            files(flags: flags, patients: patients, provenance: provenance), in: PrivateFiles.directory(directory, []))
    }

    /// One NDJSON file of the export: its resource type, file name, contents and resource count.
    public struct NDJSONFile: Sendable, Hashable {
        public var type: String
        public var name: String { type + ".ndjson" }
        public var data: Data
        public var count: Int
    }

    /// The export's NDJSON files without writing them: `Flag.ndjson`, `Patient.ndjson`, then
    /// `Observation.ndjson` (absenteeism evidence) and `Organization.ndjson` (the author) when there is one.
    ///
    /// Flags are written in key order, patients in id order; a patient is written once however many flags
    /// reference it. Flags whose subject is not among `patients` are still written (the caller decides).
    /// - Parameter provenance: update time and data date per flag, by `FHIRExport.flagId`.
    public func ndjsonFiles(
        flags: [Flag], patients: [FHIRPatient], provenance: [String: FHIRFlagProvenance] = [:]
    ) -> [NDJSONFile] {
        let sortedFlags = flags.sorted {
            ($0.patientId, $0.kind.rawValue, $0.source, $0.periodStart) < (
                $1.patientId, $1.kind.rawValue, $1.source, $1.periodStart
            )
        }
        var seen = Set<String>()
        let uniquePatients = patients.sorted { $0.id < $1.id }.filter { seen.insert($0.id).inserted }
        var flagLines: [JSONValue] = []
        var observations: [JSONValue] = []
        for flag in sortedFlags {
            let id = FHIRExport.flagId(flag)
            let known = provenance[id] ?? .init()
            flagLines.append(flagResource(flag, id: id, provenance: known))
            if let observation = observationResource(flag, flagId: id, provenance: known) {
                observations.append(observation)
            }
        }
        func file(_ type: String, _ lines: [JSONValue]) -> NDJSONFile {
            NDJSONFile(type: type, data: Data(FHIRExport.ndjsonBytes(lines)), count: lines.count)
        }
        var result = [file("Flag", flagLines), file("Patient", uniquePatients.map { patientResource($0) })]
        if !observations.isEmpty { result.append(file("Observation", observations)) }
        if let organization = authorOrganization() { result.append(file("Organization", [organization])) }
        return result
    }

    /// `ndjsonFiles` as (name, contents) pairs, Flag first.
    public func files(
        flags: [Flag], patients: [FHIRPatient], provenance: [String: FHIRFlagProvenance] = [:]
    ) -> [(name: String, data: Data)] {
        ndjsonFiles(flags: flags, patients: patients, provenance: provenance).map { (name: $0.name, data: $0.data) }
    }

    /// The Bulk Data `$export` completion manifest for `files` (file name `manifest.json`): `transactionTime`,
    /// `request`, `requiresAccessToken: false`, `output` (type, relative file name as `url`, count) for each
    /// non-empty file, and an empty `error`. Keys sorted, pretty-printed.
    public static func manifest(files: [NDJSONFile], transactionTime: Date, request: String) throws -> Data {
        let output: [[String: Any]] = files.filter { $0.count > 0 }.map {
            ["type": $0.type, "url": $0.name, "count": $0.count]
        }
        let object: [String: Any] = [
            "transactionTime": instant(transactionTime), "request": request, "requiresAccessToken": false,
            "output": output, "error": [Any](),
        ]
        return try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    public static let manifestName = "manifest.json"

    static func concept(_ system: String, _ code: String) -> JSONValue {
        .object([("coding", .array([.object([("system", .string(system)), ("code", .string(code))])]))])
    }

    /// The human text of a flag's code: the local display, with the tier when there is one.
    static func text(_ flag: Flag) -> String {
        let base = flag.codes.first { $0.system == Coding.local }?.display ?? flag.kind.label
        return flag.tier.isEmpty || flag.tier == AbsenteeismTier.atRisk.rawValue ? base : "\(base) (\(flag.tier))"
    }
}
