// Proves that the sample world is deterministic, writes exactly the shared file layout with the expected headers,
// is consistent across files (attribution and consent name MPI patients), has about 30 % of source people outside
// the MPI, and contains what the pipeline's stages must handle: hard identity cases, chronic absence tiers,
// corrections, missing FERPA bases, a victim-service provider, soft deletes, refused SSNs, releases and juveniles,
// and deliberately bad rows in every source.
import Foundation
import LastMileCore
import Testing

@testable import SampleData

@Suite struct SampleWorldTests {
    static let asOf = CivilDate(year: 2026, month: 11, day: 20)!
    static let options = SampleWorldOptions(people: 300, seed: 20_261_120, asOf: asOf)

    /// One generated world shared by the read-only tests below.
    static let world: (dir: String, summary: SampleWorldSummary) = {
        let dir = temporaryDirectory("world")
        let summary = try! SampleWorld.generate(options, into: dir)
        return (dir, summary)
    }()

    static func table(_ relative: String) throws -> CSVTable {
        try CSVTable(path: world.dir + "/" + relative)
    }

    static let inbox = (
        school: "inbox/riverside-usd/attendance-2026-11-20.csv",
        edfi: "inbox/lakeside-edfi/attendance-events-2026-11-20.csv",
        hmis: "inbox/coc-hmis/hmis-export-2026-11-20",
        jail: "inbox/county-jail/bookings-2026-11-20.csv",
        housing: "inbox/ce-by-name-list/housing-2026-11-20.csv"
    )

    @Test func sameSeedGivesByteIdenticalWorldAndAnotherSeedDoesNot() throws {
        let again = temporaryDirectory("world-again")
        let other = temporaryDirectory("world-other")
        try SampleWorld.generate(Self.options, into: again)
        var otherOptions = Self.options
        otherOptions.seed = 1
        try SampleWorld.generate(otherOptions, into: other)
        let files = filesUnder(Self.world.dir)
        #expect(files == filesUnder(again))
        for file in files {
            let first = try Data(contentsOf: URL(fileURLWithPath: Self.world.dir + "/" + file))
            #expect(first == (try Data(contentsOf: URL(fileURLWithPath: again + "/" + file))), "\(file) differs")
        }
        let mpi = try Data(contentsOf: URL(fileURLWithPath: Self.world.dir + "/mpi.csv"))
        #expect(mpi != (try Data(contentsOf: URL(fileURLWithPath: other + "/mpi.csv"))))
    }

    @Test func writesExactlyTheSharedFilesWithTheirHeaders() throws {
        let expected = SampleWorld.headers(asOf: Self.asOf)
        #expect(filesUnder(Self.world.dir) == expected.keys.sorted())
        for (file, header) in expected {
            let table = try Self.table(file)
            #expect(table.header == header, "\(file) header")
            #expect(!table.rows.isEmpty, "\(file) has rows")
        }
        #expect(
            try Self.table("mpi.csv").header.joined(separator: ",")
                == "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn")
        #expect(Self.world.summary.files.count == expected.count)
    }

    @Test func attributionAndConsentNamePatientsOfTheMPI() throws {
        let mpi = try Self.table("mpi.csv")
        let patients = Set(mpi.rows.map { $0[0] })
        #expect(patients.count == mpi.rows.count)
        #expect(mpi.rows.allSatisfy { $0[0].count == 7 && $0[0].hasPrefix("P") })
        let practices = try Self.table("practices.csv")
        let practiceIds = Set(practices.rows.map { $0[0] })
        let attribution = try Self.table("attribution.csv").dictionaries
        #expect(attribution.allSatisfy { patients.contains($0["patient_id"]!) })
        #expect(attribution.allSatisfy { practiceIds.contains($0["practice_id"]!) })
        #expect(Set(attribution.map { $0["patient_id"]! }).count == attribution.count, "one practice per patient")

        // Children are attributed to pediatric practices, adults to family practices.
        let birth = Dictionary(uniqueKeysWithValues: mpi.dictionaries.map { ($0["id"]!, $0["birth_date"]!) })
        let pediatric: Set = ["riverside-peds", "lakeside-childrens"]
        var children = 0
        for row in attribution {
            guard let date = CivilDate(iso: birth[row["patient_id"]!] ?? "") else { continue }
            let isChild = date.age(on: Self.asOf) < 17  // a margin for birth dates the MPI keyed wrongly
            let isAdult = date.age(on: Self.asOf) > 19
            if isChild {
                children += 1
                #expect(pediatric.contains(row["practice_id"]!))
            }
            if isAdult { #expect(!pediatric.contains(row["practice_id"]!)) }
        }
        #expect(children > 20)

        let consent = try Self.table("consent-directives.csv").dictionaries
        #expect(consent.allSatisfy { patients.contains($0["patient_id"]!) })
        #expect(consent.contains { $0["type"] == "deny" && $0["category"] == "" && $0["status"] == "active" })
        #expect(consent.contains { $0["type"] == "deny" && $0["category"] != "" && $0["status"] == "active" })
        #expect(
            consent.contains { $0["type"] == "permit" && $0["grantor_role"] == "parent" && $0["purpose"] == "TREAT" })
        #expect(consent.contains { $0["status"] == "inactive" })
        #expect(consent.contains { $0["status"] == "entered-in-error" })
        #expect(consent.contains { $0["grantor_role"] == "court" && $0["type"] == "deny" })
        #expect(consent.contains { $0["recipient"] == "role:pediatrics" && $0["grantor_role"] == "guardian" })
        #expect(consent.contains { ($0["period_end"] ?? "") != "" && $0["period_end"]! < "2026-11-20" })
        for row in consent {
            #expect(["permit", "deny"].contains(row["type"]!))
            #expect(["", "education", "shelter", "justice", "housing"].contains(row["category"]!))
            #expect(["self", "parent", "guardian", "court"].contains(row["grantor_role"]!))
            let recipient = row["recipient"]!
            #expect(recipient.isEmpty || recipient.hasPrefix("practice:") || recipient.hasPrefix("role:"))
        }
    }

    @Test func aboutThirtyPercentOfSourcePeopleAreNotInTheMPI() {
        let model = SampleWorld.population(Self.options)
        let inSources = Set(Self.worldModel.sourcePeople.values.flatMap { $0 })
        #expect(inSources.count > 80)
        let outside = inSources.filter { model.patientIds[$0] == nil }
        let share = Double(outside.count) / Double(inSources.count)
        #expect(share > 0.2 && share < 0.4, "share \(share)")
        #expect(Self.world.summary.peopleInSources == inSources.count)
        #expect(Self.world.summary.peopleInSourcesNotInMPI == outside.count)
        // Many outsiders share a household with a patient (siblings, parents).
        let byKey = Dictionary(uniqueKeysWithValues: model.people.map { ($0.key, $0) })
        let housemates = outside.filter { key in
            model.households[byKey[key]!.householdKey].members.contains { model.patientIds[$0.key] != nil }
        }
        #expect(housemates.count * 2 >= outside.count, "housemates \(housemates.count) of \(outside.count)")
        for source in [
            SampleWorld.schoolSource, SampleWorld.edfiSource, SampleWorld.hmisSource,
            SampleWorld.jailSource, SampleWorld.housingSource,
        ] {
            #expect(!(Self.worldModel.sourcePeople[source] ?? []).isEmpty, "\(source) has people")
        }
    }

    /// The model the committed files were written from (generation is deterministic, so rebuilding is exact).
    static let worldModel: SampleWorldModel = {
        var context = try! SampleWorldWriter(options: options, directory: temporaryDirectory("world-model"))
        try! context.writeAll()
        return context.model
    }()

    @Test func hardIdentityCasesArePresent() throws {
        let model = Self.worldModel
        let people = model.people
        let twins = people.filter { $0.twinOf != nil }
        let juniors = people.filter { $0.juniorOf != nil }
        #expect(twins.count >= 4)
        #expect(juniors.count >= 2)
        for junior in juniors {
            let father = people.first { $0.key == junior.juniorOf }!
            #expect(father.givenName == junior.givenName && father.familyName == junior.familyName)
            #expect(junior.suffix == "Jr" && father.birthDate.age(on: junior.birthDate) >= 18)
        }
        // Twins and juniors reach the school sources.
        let students = (Self.worldModel.sourcePeople[SampleWorld.schoolSource] ?? [])
            .union(Self.worldModel.sourcePeople[SampleWorld.edfiSource] ?? [])
        #expect(twins.contains { students.contains($0.key) })
        #expect(juniors.contains { students.contains($0.key) })

        // Households: several members, one address; moved households show a new address to the sources.
        #expect(model.households.contains { $0.members.count >= 4 })
        #expect(model.households.contains { $0.movedTo != nil })

        // Nicknames: a school record under a nickname of the name the person goes by.
        let school = try Self.table(Self.inbox.school).dictionaries
        let schoolGiven = Set(school.map { $0["first_name"]! })
        let nicknamed = people.contains { person in
            (NameLists.nicknames[person.givenName] ?? []).contains { schoolGiven.contains($0) }
                && students.contains(person.key)
        }
        #expect(nicknamed)
        // Swapped given/family names: a school row whose first name is a family name of someone in the world.
        let familyNames = Set(people.map(\.familyName))
        #expect(school.contains { familyNames.contains($0["first_name"]!) })
    }

    @Test func schoolAttendanceCoversTiersCorrectionsAndBadRows() throws {
        let table = try Self.table(Self.inbox.school)
        let rows = table.dictionaries
        let days = SampleWorld.schoolDays(through: Self.asOf)
        #expect(days.first == CivilDate(year: 2026, month: 8, day: 17) && days.last == Self.asOf)
        #expect(days.allSatisfy { $0.isoWeekday <= 5 })
        let dayStrings = Set(days.map(\.description))
        let codes: Set = ["P", "A", "E", "T", "ED", "H"]
        var seen: [String: [String: String]] = [:]  // student → date → code (first sending)
        var corrections = 0
        var bad = 0
        for row in rows {
            let student = row["student_id"]!
            guard !student.isEmpty, !row["last_name"]!.isEmpty, dayStrings.contains(row["attendance_date"]!),
                codes.contains(row["attendance_code"]!)
            else {
                bad += 1
                continue
            }
            if seen[student, default: [:]][row["attendance_date"]!] != nil {
                corrections += 1
            } else {
                seen[student, default: [:]][row["attendance_date"]!] = row["attendance_code"]!
            }
        }
        #expect(bad == 4, "bad rows: \(bad)")
        #expect(corrections >= 3)
        // One row per student per enrolled school day: all year for most, one transferred in late, one withdrew.
        let partYear = seen.values.filter { $0.count < days.count }
        #expect(partYear.count == 2 && seen.values.allSatisfy { $0.count <= days.count })
        #expect(partYear.contains { $0[days.first!.description] == nil && $0[days.last!.description] != nil })
        #expect(partYear.contains { $0[days.first!.description] != nil && $0[days.last!.description] == nil })
        let rates = seen.values.map { byDay in
            Double(byDay.values.filter { ["A", "E", "H"].contains($0) }.count) / Double(byDay.count)
        }
        #expect(rates.contains { $0 < 0.05 })
        #expect(rates.contains { $0 >= 0.05 && $0 < 0.10 })
        #expect(rates.contains { $0 >= 0.10 && $0 < 0.20 })
        #expect(rates.contains { $0 >= 0.20 })
        #expect(rows.contains { $0["ferpa_basis"] == "" } && rows.contains { $0["ferpa_basis"] == "parental-consent" })

        let edfi = try Self.table(Self.inbox.edfi).dictionaries
        let prefix = "uri://ed-fi.org/AttendanceEventCategoryDescriptor#"
        let categories: Set = ["In Attendance", "Excused Absence", "Unexcused Absence", "Tardy", "Early departure"]
        let edfiBad = edfi.filter { row in
            row["StudentUniqueId"]!.isEmpty || !dayStrings.contains(row["EventDate"]!)
                || !categories.contains(String(row["AttendanceEventCategoryDescriptor"]!.dropFirst(prefix.count)))
        }
        #expect(edfiBad.count == 3)
    }

    @Test func hmisExportHasTheCasesTheExtractorMustHonour() throws {
        func load(_ file: String) throws -> [[String: String]] {
            try Self.table("\(Self.inbox.hmis)/\(file)").dictionaries
        }
        let export = try load("Export.csv")
        #expect(export.count == 1 && export[0]["CSVVersion"] == "2026 v1.0")
        let exportId = export[0]["ExportID"]!
        let organizations = try load("Organization.csv")
        let projects = try load("Project.csv")
        let clients = try load("Client.csv")
        let enrollments = try load("Enrollment.csv")
        let exits = try load("Exit.csv")
        let services = try load("Services.csv")
        for table in [organizations, projects, clients, enrollments, exits, services] {
            #expect(table.allSatisfy { $0["ExportID"] == exportId })
        }
        let vsp = organizations.filter { $0["VictimServiceProvider"] == "1" }.map { $0["OrganizationID"]! }
        #expect(vsp.count == 1)
        let vspProjects = Set(projects.filter { vsp.contains($0["OrganizationID"]!) }.map { $0["ProjectID"]! })
        #expect(enrollments.contains { vspProjects.contains($0["ProjectID"]!) })
        let types = Dictionary(uniqueKeysWithValues: projects.map { ($0["ProjectID"]!, $0["ProjectType"]!) })
        let enrolledTypes = Set(enrollments.compactMap { types[$0["ProjectID"]!] })
        #expect(
            enrolledTypes.isSuperset(of: ["1", "4"]) && (enrolledTypes.contains("0") || enrolledTypes.contains("2")))
        #expect(enrollments.filter { !($0["DateDeleted"] ?? "").isEmpty }.count == 1)
        #expect(clients.contains { $0["SSN"] == "" && $0["SSNDataQuality"] == "9" })
        #expect(clients.contains { $0["SSN"]!.hasPrefix("xxxxx") && $0["SSNDataQuality"] == "2" })
        #expect(clients.contains { $0["LastName"] == "" && $0["NameDataQuality"] == "2" })
        #expect(clients.allSatisfy { !["123456789", "000000000"].contains($0["SSN"]!) })

        // Every client has an enrollment; bed nights are RecordType 200 on night-by-night stays, within the stay.
        let clientIds = Set(clients.map { $0["PersonalID"]! })
        #expect(Set(enrollments.map { $0["PersonalID"]! }.filter { !$0.isEmpty }) == clientIds)
        let byEnrollment = Dictionary(enrollments.map { ($0["EnrollmentID"]!, $0) }) { a, _ in a }
        let exitDates = Dictionary(uniqueKeysWithValues: exits.map { ($0["EnrollmentID"]!, $0["ExitDate"]!) })
        var nights = 0
        for service in services {
            guard let enrollment = byEnrollment[service["EnrollmentID"]!],
                let date = CivilDate(iso: service["DateProvided"]!)
            else { continue }
            nights += 1
            #expect(service["RecordType"] == "200")
            #expect(types[enrollment["ProjectID"]!] == "1")
            let entry = CivilDate(iso: enrollment["EntryDate"]!)!
            #expect(date >= entry)
            if let exit = exitDates[service["EnrollmentID"]!].flatMap({ CivilDate(iso: $0) }) { #expect(date < exit) }
        }
        #expect(nights > 10)
        #expect(!exits.isEmpty)
        // Bad rows: an impossible entry date, an enrollment without a person, an unreadable bed night.
        #expect(enrollments.contains { $0["EntryDate"] == "2026-02-30" })
        #expect(enrollments.contains { $0["PersonalID"] == "" })
        #expect(services.contains { CivilDate(iso: $0["DateProvided"]!) == nil })

        // String fields are quoted, so SSNs and ids keep their leading zeros.
        let raw = try String(contentsOfFile: Self.world.dir + "/\(Self.inbox.hmis)/Client.csv", encoding: .utf8)
        #expect(raw.split(separator: "\n")[1].hasPrefix("\""))
    }

    @Test func jailAndHousingHaveTheirCases() throws {
        let bookings = try Self.table(Self.inbox.jail).dictionaries
        let asOf = Self.asOf
        func date(_ text: String) -> CivilDate? { CivilDate(iso: text.prefix(10)) }
        #expect(bookings.contains { $0["release_datetime"] == "" && !$0["booking_number"]!.isEmpty })
        #expect(
            bookings.contains { row in
                guard let released = date(row["release_datetime"]!) else { return false }
                return released.days(until: asOf) <= 30 && row["juvenile"] == "N"
            })
        #expect(bookings.filter { $0["juvenile"] == "Y" }.count == 1)
        let numbers = bookings.map { $0["booking_number"]! }.filter { !$0.isEmpty }
        #expect(Set(numbers).count < numbers.count, "a booking re-sent with its release")
        #expect(bookings.contains { $0["booking_datetime"]!.contains("/") }, "an American date-time")
        #expect(bookings.contains { $0["booking_number"] == "" })

        let housing = try Self.table(Self.inbox.housing).dictionaries
        #expect(housing.contains { $0["record_type"] == "by-name-list" && $0["status"] == "active" })
        #expect(housing.contains { $0["record_type"] == "by-name-list" && $0["status"] == "housed" })
        #expect(housing.contains { $0["record_type"] == "eviction-filing" && $0["status"] == "filed" })
        #expect(housing.contains { $0["status"] == "judgment" } || housing.contains { $0["status"] == "dismissed" })
        let statuses: Set = ["active", "housed", "inactive", "deceased", "filed", "judgment", "dismissed"]
        #expect(housing.filter { !statuses.contains($0["status"]!) }.count == 1)
        #expect(housing.contains { $0["first_name"] == "" })
    }
}

/// The committed `sample-data/` must be exactly what the documented command writes, so it never goes stale.
@Suite struct CommittedSampleTests {
    /// Files written by hand beside the generated ones (their README says so).
    static let handWritten: Set = ["README.md", "mpi-delta.csv", "mpi-merges.csv"]

    @Test func committedSampleMatchesTheDocumentedCommand() throws {
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sample-data").path
        let fresh = temporaryDirectory("committed")
        try SampleWorld.generate(
            SampleWorldOptions(people: 300, seed: 20_261_120, asOf: CivilDate(year: 2026, month: 11, day: 20)!),
            into: fresh)
        let generated = filesUnder(fresh)
        #expect(filesUnder(committed).filter { !Self.handWritten.contains($0) } == generated)
        for file in generated {
            let a = try Data(contentsOf: URL(fileURLWithPath: committed + "/" + file))
            #expect(a == (try Data(contentsOf: URL(fileURLWithPath: fresh + "/" + file))), "\(file) is stale")
        }
    }
}

/// The truth behind list recall (bench/list-recall.sh) must say what the feeds say, or the benchmark scores
/// the generator instead of lastmile.
@Suite struct SampleWorldTruthTests {
    @Test func studentTruthAgreesWithTheFeedsAndTheMPI() throws {
        let dir = temporaryDirectory("world-truth")
        let options = SampleWorldOptions(people: 400, seed: 11, asOf: SampleWorldTests.asOf, writeTruth: true)
        try SampleWorld.generate(options, into: dir)
        let truth = try CSVTable(path: dir + "/truth/students.csv")
        #expect(truth.header == SampleWorld.studentTruthHeader)
        let patients = Set(try CSVTable(path: dir + "/mpi.csv").dictionaries.map { $0["id"]! })

        // Riverside: the last sending of a day wins; A, E and H (195 minutes) are whole days missed.
        // The deliberately bad rows are the extractor's to reject; they are not part of the truth.
        let schoolDays = Set(SampleWorld.schoolDays(through: SampleWorldTests.asOf).map(\.description))
        var codes: [String: [String: String]] = [:]
        for row in try CSVTable(path: dir + "/" + SampleWorldTests.inbox.school).dictionaries
        where !row["student_id"]!.isEmpty && !row["last_name"]!.isEmpty && schoolDays.contains(row["attendance_date"]!)
            && row["attendance_code"] != "Q"
        {
            codes[row["student_id"]!, default: [:]][row["attendance_date"]!] = row["attendance_code"]!
        }
        let riverside = truth.dictionaries.filter { $0["source"] == SampleWorld.schoolSource }
        #expect(riverside.count == codes.keys.filter { !$0.isEmpty }.count)
        for student in riverside {
            let days = codes[student["student_id"]!] ?? [:]
            let absent = days.values.filter { ["A", "E", "H"].contains($0) }.count
            #expect(Double(student["days_absent"]!) == Double(absent), "student row \(student["student_id"]!)")
            #expect(Int(student["days_enrolled"]!) == days.count)
        }
        #expect(truth.dictionaries.contains { $0["source"] == SampleWorld.edfiSource })
        #expect(truth.dictionaries.allSatisfy { $0["patient_id"]!.isEmpty || patients.contains($0["patient_id"]!) })
        #expect(truth.dictionaries.contains { $0["patient_id"]!.isEmpty }, "some students are not patients")
    }

    @Test func theCommittedWorldHasNoTruthFolder() throws {
        let dir = temporaryDirectory("world-no-truth")
        try SampleWorld.generate(SampleWorldTests.options, into: dir)
        #expect(!FileManager.default.fileExists(atPath: dir + "/truth"))
    }
}
