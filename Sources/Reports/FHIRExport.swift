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

    public init(
        id: String, givenName: String? = nil, familyName: String? = nil, birthDate: CivilDate? = nil, sex: Sex? = nil
    ) {
        self.id = id
        self.givenName = givenName
        self.familyName = familyName
        self.birthDate = birthDate
        self.sex = sex
    }
}

/// Serialises flags and patients as FHIR R4 resources in the Bulk Data NDJSON layout.
public struct FHIRExport: Sendable {
    /// The `Organization` reference written as each Flag's author; nil leaves `author` out.
    public var author: String?
    /// The identifier system of the HIE's patient ids on Patient resources.
    public var patientIdentifierSystem: String

    public init(
        author: String? = "Organization/lastmile-hie", patientIdentifierSystem: String = "urn:lastmile:hie-patient-id"
    ) {
        self.author = author
        self.patientIdentifierSystem = patientIdentifierSystem
    }

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
    /// period, security labels and a meta tag naming the source.
    public func flagResource(_ flag: Flag, id: String? = nil) -> JSONValue {
        let kind = flag.kind
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Flag")),
            ("id", .string(id ?? FHIRExport.flagId(flag))),
            (
                "meta",
                .object([
                    (
                        "security",
                        .array(
                            FHIRExport.securityLabels(kind).map {
                                .object([("system", .string($0.system)), ("code", .string($0.code))])
                            })
                    ),
                    (
                        "tag",
                        .array([
                            .object([("system", .string(FHIRExport.sourceTagSystem)), ("code", .string(flag.source))])
                        ])
                    ),
                ])
            ),
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

    /// A minimal R4 Patient: id, the HIE identifier, name, gender and birth date when known.
    public func patientResource(_ p: FHIRPatient) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Patient")),
            ("id", .string(p.id)),
            (
                "identifier",
                .array([.object([("system", .string(patientIdentifierSystem)), ("value", .string(p.id))])])
            ),
        ]
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

    /// Writes `Flag.ndjson` and `Patient.ndjson` into `directory` (created 0700; files 0600), both or neither.
    /// - Returns: the two files, Flag first.
    @discardableResult
    public func write(flags: [Flag], patients: [FHIRPatient], to directory: URL) throws -> [URL] {
        try PrivateFiles.writeAll(files(flags: flags, patients: patients), in: PrivateFiles.directory(directory, []))
    }

    /// The contents of `Flag.ndjson` and `Patient.ndjson`, Flag first, without writing them.
    ///
    /// Flags are written in key order, patients in id order; a patient is written once however many flags
    /// reference it. Flags whose subject is not among `patients` are still written (the caller decides).
    public func files(flags: [Flag], patients: [FHIRPatient]) -> [(name: String, data: Data)] {
        let sortedFlags = flags.sorted {
            ($0.patientId, $0.kind.rawValue, $0.source, $0.periodStart) < (
                $1.patientId, $1.kind.rawValue, $1.source, $1.periodStart
            )
        }
        var seen = Set<String>()
        let uniquePatients = patients.sorted { $0.id < $1.id }.filter { seen.insert($0.id).inserted }
        return [
            (name: "Flag.ndjson", data: Data(FHIRExport.ndjsonBytes(sortedFlags.map { flagResource($0) }))),
            (name: "Patient.ndjson", data: Data(FHIRExport.ndjsonBytes(uniquePatients.map { patientResource($0) }))),
        ]
    }

    static func concept(_ system: String, _ code: String) -> JSONValue {
        .object([("coding", .array([.object([("system", .string(system)), ("code", .string(code))])]))])
    }

    /// The human text of a flag's code: the local display, with the tier when there is one.
    static func text(_ flag: Flag) -> String {
        let base = flag.codes.first { $0.system == Coding.local }?.display ?? flag.kind.label
        return flag.tier.isEmpty || flag.tier == AbsenteeismTier.atRisk.rawValue ? base : "\(base) (\(flag.tier))"
    }
}
