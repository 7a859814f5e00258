import Foundation
import LastMileCore

/// Options of a synthetic sample world.
public struct SampleWorldOptions: Sendable {
    /// Synthetic people to create (whole households, so the world may hold a few more).
    public var people: Int
    public var seed: UInt64
    /// The world's today: the school year, shelter stays and bookings run up to it.
    public var asOf: CivilDate
    /// Also write `truth/students.csv`: each student's true patient and absences, for list recall (bench).
    public var writeTruth: Bool

    public init(people: Int, seed: UInt64, asOf: CivilDate, writeTruth: Bool = false) {
        self.people = people
        self.seed = seed
        self.asOf = asOf
        self.writeTruth = writeTruth
    }
}

/// The truth behind a sample world: who exists, who is a patient, and who appears in which source.
public struct SampleWorldModel: Sendable {
    public var households: [SyntheticHousehold] = []
    /// Person key → HIE patient id, for people in the MPI.
    public var patientIds: [Int: String] = [:]
    /// Source name → keys of the people it has records about (bad rows excluded).
    public var sourcePeople: [String: Set<Int>] = [:]

    public var people: [SyntheticPerson] { households.flatMap(\.members) }
}

/// What was written: each file (relative to the output directory) with its data-row count.
public struct SampleWorldSummary: Sendable {
    public var people: Int
    public var patients: Int
    /// Distinct people with a record in at least one source, and how many of them have no MPI record.
    public var peopleInSources: Int
    public var peopleInSourcesNotInMPI: Int
    public var files: [(path: String, rows: Int)]
}

/// Writes a consistent synthetic world in the file layout of docs/sample-data.md.
///
/// One population feeds the MPI and every source, so the same people reappear — with the typos, nicknames,
/// moved addresses, swapped dates and missing identifiers of real registration data — and about 30 % of the
/// people in the sources have no MPI record (whole new households, and siblings or parents of patients).
public enum SampleWorld {
    /// Source names, as the source configs in `pipelines/sources/` call them.
    public static let schoolSource = "riverside-usd"
    public static let edfiSource = "lakeside-edfi"
    public static let hmisSource = "coc-hmis"
    public static let jailSource = "county-jail"
    public static let housingSource = "ce-by-name-list"

    /// The first day of the 2026-27 school year.
    public static let schoolYearStart = CivilDate(year: 2026, month: 8, day: 17)!

    /// Generates the world and writes it under `directory`.
    @discardableResult
    public static func generate(_ options: SampleWorldOptions, into directory: String) throws -> SampleWorldSummary {
        var context = try SampleWorldWriter(options: options, directory: directory)
        try context.writeAll()
        let inSources = Set(context.model.sourcePeople.values.flatMap { $0 })
        return SampleWorldSummary(
            people: context.model.people.count, patients: context.model.patientIds.count,
            peopleInSources: inSources.count,
            peopleInSourcesNotInMPI: inSources.filter { context.model.patientIds[$0] == nil }.count,
            files: context.files)
    }

    /// Builds the population and decides who is a patient, without writing anything.
    public static func population(_ options: SampleWorldOptions) -> SampleWorldModel {
        var root = SplitMix64(seed: options.seed)
        var generator = PopulationGenerator(seed: root.next(), asOf: options.asOf)
        generator.familyBias = 0.12
        generator.guaranteedTwins = 2
        generator.guaranteedJuniors = 2
        var membership = root.fork(11)
        var model = SampleWorldModel()
        var count = 0
        let ids = IdPermutation(prefix: "P", capacity: 1_000_000)
        var patientNumber = 0
        while count < options.people {
            let household = generator.nextHousehold()
            count += household.members.count
            // A household new to the HIE has no patient; otherwise most members are patients.
            let isNew = membership.chance(0.06)
            for person in household.members where !isNew && membership.chance(0.76) {
                model.patientIds[person.key] = ids.id(patientNumber)
                patientNumber += 1
            }
            model.households.append(household)
        }
        return model
    }

    /// The header of every file the world writes, by path relative to the output directory.
    public static func headers(asOf: CivilDate) -> [String: [String]] {
        let stamp = asOf.description
        var result: [String: [String]] = [
            "mpi.csv": BenchmarkWorld.header,
            "practices.csv": practicesHeader,
            "attribution.csv": attributionHeader,
            "consent-directives.csv": consentHeader,
            "inbox/riverside-usd/attendance-\(stamp).csv": schoolHeader,
            "inbox/lakeside-edfi/attendance-events-\(stamp).csv": edfiHeader,
            "inbox/county-jail/bookings-\(stamp).csv": jailHeader,
            "inbox/ce-by-name-list/housing-\(stamp).csv": housingHeader,
        ]
        for directory in schoolDirectories { result[directory.file] = schoolDirectoryHeader }
        for (file, header) in HMISFiles.headers {
            result["inbox/coc-hmis/hmis-export-\(stamp)/\(file)"] = header
        }
        return result
    }

    static let practicesHeader = ["practice_id", "practice_name"]
    static let attributionHeader = ["patient_id", "practice_id", "provider_name", "practice_patient_id"]
    static let consentHeader = [
        "directive_id", "patient_id", "type", "category", "source", "purpose", "recipient", "period_start",
        "period_end", "recorded_at", "status", "grantor_role",
    ]

    /// A practice of the sample HIE.
    struct Practice {
        var id: String
        var name: String
        var pediatric: Bool
        /// The district whose families it mostly serves (nil: county-wide).
        var district: Int?
        var idPrefix: String
    }

    static let practices = [
        Practice(id: "riverside-peds", name: "Riverside Pediatrics", pediatric: true, district: 0, idPrefix: "RP"),
        Practice(
            id: "lakeside-childrens", name: "Lakeside Children's Clinic", pediatric: true, district: 1,
            idPrefix: "LC"),
        Practice(id: "valley-family", name: "Valley Family Medicine", pediatric: false, district: 0, idPrefix: "VF"),
        Practice(
            id: "northside-family", name: "Northside Family Health", pediatric: false, district: 1, idPrefix: "NF"),
        Practice(
            id: "harbor-community", name: "Harbor Community Health Center", pediatric: false, district: nil,
            idPrefix: "HC"),
    ]
}

/// Writes one sample world: the population, then each file in turn (one seeded stream per file).
struct SampleWorldWriter {
    let options: SampleWorldOptions
    let directory: String
    var model: SampleWorldModel
    var files: [(path: String, rows: Int)] = []
    var root: SplitMix64
    /// Heads of households with a (non-VSP) shelter or outreach enrollment: the by-name list knows them.
    var hmisHeads: [SyntheticPerson] = []
    /// Rows of `truth/students.csv`, collected as the school feeds are written.
    var studentTruth: [[String]] = []
    /// The household of Riverside's most absent patient-student (no twin), whom the HMIS export puts in a
    /// shelter: set by the school attendance writer.
    var shelteredStudentHousehold: Int?
    var asOf: CivilDate { options.asOf }
    var stamp: String { options.asOf.description }

    init(options: SampleWorldOptions, directory: String) throws {
        self.options = options
        self.directory = directory
        self.model = SampleWorld.population(options)
        var root = SplitMix64(seed: options.seed)
        _ = root.next()
        self.root = root.fork(99)
        try makeDirectory(directory)
    }

    var people: [SyntheticPerson] { model.people }

    func household(of person: SyntheticPerson) -> SyntheticHousehold {
        model.households[person.householdKey]
    }

    func age(_ person: SyntheticPerson) -> Int { person.birthDate.age(on: asOf) }

    mutating func writeAll() throws {
        try writeMPI()
        try writePracticesAndAttribution()
        try writeConsent()
        try writeSchoolAttendance()
        try writeEdFiAttendance()
        try writeSchoolDirectories()
        try writeHMIS()
        try writeJailBookings()
        try writeHousing()
        if options.writeTruth {
            try write("truth/students.csv", header: SampleWorld.studentTruthHeader, rows: studentTruth)
        }
    }

    /// Writes one CSV file (creating its folder) and records it in the summary.
    mutating func write(_ relativePath: String, header: [String], rows: [[String]], quoted: Set<Int> = []) throws {
        let path = directory + "/" + relativePath
        try makeDirectory((path as NSString).deletingLastPathComponent)
        let out = try CSVOutput(path: path)
        try out.write(header)
        for row in rows { try out.write(row, quoted: quoted) }
        try out.close()
        files.append((relativePath, rows.count))
    }

    mutating func noteSource(_ source: String, _ person: SyntheticPerson) {
        model.sourcePeople[source, default: []].insert(person.key)
    }

    // MARK: - MPI, practices, attribution

    mutating func writeMPI() throws {
        var rng = root.fork(1)
        var rows: [(String, [String])] = []
        for household in model.households {
            for person in household.members {
                guard let id = model.patientIds[person.key] else { continue }
                let p = Messiness.record(
                    of: person, address: household.address, phone: person.ownPhone ?? household.phone,
                    profile: .mpi, rng: &rng)
                let style = rng.below(6)
                rows.append(
                    (
                        id,
                        [
                            id, p.givenName, p.familyName, p.birthDateText, p.sexText, p.street, p.city, p.state,
                            p.postalCode, Messiness.formatPhone(p.phone, style: style),
                            Messiness.formatSSN(p.ssn, dashed: style % 2 == 0),
                        ]
                    ))
            }
        }
        rows.sort { $0.0 < $1.0 }
        try write("mpi.csv", header: BenchmarkWorld.header, rows: rows.map(\.1))
    }

    mutating func writePracticesAndAttribution() throws {
        var rng = root.fork(2)
        try write(
            "practices.csv", header: SampleWorld.practicesHeader,
            rows: SampleWorld.practices.map { [$0.id, $0.name] })
        // Two or three clinicians per practice, with made-up names.
        var providers: [String: [String]] = [:]
        for practice in SampleWorld.practices {
            let count = rng.int(in: 2...3)
            providers[practice.id] = (0..<count).map { _ in
                let female = rng.chance(0.6)
                let given = rng.pick((female ? NameLists.femaleAdult : NameLists.maleAdult).map(\.0))
                let family = rng.pick(NameLists.rareFamilyStarts) + rng.pick(NameLists.rareFamilyEnds)
                return "\(given) \(family), \(rng.chance(0.75) ? "MD" : "NP")"
            }
        }
        var rows: [(String, [String])] = []
        var number = 10_000
        for household in model.households {
            for person in household.members {
                guard let patient = model.patientIds[person.key] else { continue }
                let isChild = age(person) < 18
                // Children go to the pediatric practice of their district; adults to a family practice.
                let candidates = SampleWorld.practices.filter { practice in
                    practice.pediatric == isChild
                        && (practice.district == nil || practice.district == household.district
                            || (isChild && household.district == 2))
                }
                guard !candidates.isEmpty, rng.chance(isChild ? 0.95 : 0.85) else { continue }
                let practice =
                    isChild
                    ? (candidates.first { $0.district == household.district } ?? candidates[0])
                    : rng.pick(candidates)
                number += rng.int(in: 1...37)
                rows.append(
                    (
                        patient,
                        [
                            patient, practice.id, rng.pick(providers[practice.id] ?? []),
                            "\(practice.idPrefix)-\(number)",
                        ]
                    ))
            }
        }
        rows.sort { $0.0 < $1.0 }
        try write("attribution.csv", header: SampleWorld.attributionHeader, rows: rows.map(\.1))
    }

    // MARK: - Consent directives

    mutating func writeConsent() throws {
        var rng = root.fork(3)
        var rows: [[String]] = []
        var number = 0
        func nextId() -> String {
            number += 1
            return "CD-" + String(number).leftPadded(to: 4)
        }
        func recorded(_ rng: inout SplitMix64, within days: ClosedRange<Int>) -> String {
            asOf.adding(days: -rng.int(in: days)).description
        }
        let categories = ["education", "shelter", "justice", "housing"]
        // A few directives of each special kind, in turn: an expired permit, a revoked opt-out, one entered in
        // error, and a court order about a minor.
        var special = 0
        var courtOrderDone = false
        var rolePermitDone = false
        // A court order keeps a minor's justice data out.
        func courtOrder(_ patient: String) -> [String] {
            [
                nextId(), patient, "deny", "justice", SampleWorld.jailSource, "", "", "2026-02-15", "", "2026-02-16",
                "active", "court",
            ]
        }
        // A guardian's permit for school data to any pediatric clinician (by role).
        func rolePermit(_ patient: String, _ rng: inout SplitMix64) -> [String] {
            [
                nextId(), patient, "permit", "education", "", "TREAT", "role:pediatrics", "2026-08-01", "2027-07-31",
                recorded(&rng, within: 30...100), "active", "guardian",
            ]
        }
        for household in model.households {
            for person in household.members {
                guard let patient = model.patientIds[person.key] else { continue }
                let child = age(person) < 18
                let grantor = child ? "parent" : "self"
                let roll = rng.unit()
                if roll < 0.03 {
                    // Opted out of everything.
                    rows.append([
                        nextId(), patient, "deny", "", "", "", "", recorded(&rng, within: 30...700), "",
                        recorded(&rng, within: 1...29), "active", grantor,
                    ])
                } else if roll < 0.07 {
                    // Denied one category.
                    let start = recorded(&rng, within: 30...400)
                    rows.append([
                        nextId(), patient, "deny", rng.pick(categories), "", "", "", start, "", start, "active",
                        grantor,
                    ])
                } else if roll < 0.11 {
                    if child, !courtOrderDone {
                        courtOrderDone = true
                        rows.append(courtOrder(patient))
                    } else if child, !rolePermitDone {
                        rolePermitDone = true
                        rows.append(rolePermit(patient, &rng))
                    } else {
                        switch special % 3 {
                        case 0:
                            // Last school year's permit: expired.
                            rows.append([
                                nextId(), patient, "permit", child ? "education" : "", "", "TREAT", "", "2025-08-01",
                                "2026-06-30", "2025-08-12", "active", grantor,
                            ])
                        case 1:
                            // A revoked opt-out.
                            rows.append([
                                nextId(), patient, "deny", "", "", "", "", "2025-03-02", "", "2025-03-02", "inactive",
                                grantor,
                            ])
                        default:
                            rows.append([
                                nextId(), patient, "deny", "justice", "", "", "", "2026-10-01", "", "2026-10-01",
                                "entered-in-error", grantor,
                            ])
                        }
                        special += 1
                    }
                } else if child, household.district < 2, roll < 0.30 {
                    // A parent's permit for school data to the child's pediatric practice, for the school year.
                    let peds = household.district == 1 ? "lakeside-childrens" : "riverside-peds"
                    let source = household.district == 1 ? SampleWorld.edfiSource : SampleWorld.schoolSource
                    rows.append([
                        nextId(), patient, "permit", "education", source, "TREAT", "practice:\(peds)", "2026-08-01",
                        "2027-07-31", recorded(&rng, within: 60...110), "active", "parent",
                    ])
                }
            }
        }
        // Small worlds still get one of each directive about minors.
        let children = model.households.flatMap(\.members).filter { age($0) < 18 }.compactMap {
            model.patientIds[$0.key]
        }
        if !courtOrderDone, let patient = children.first { rows.append(courtOrder(patient)) }
        if !rolePermitDone, let patient = children.last { rows.append(rolePermit(patient, &rng)) }
        try write("consent-directives.csv", header: SampleWorld.consentHeader, rows: rows)
    }
}
