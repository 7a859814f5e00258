// Proves the FHIR R4 export: every Flag the real deriver can produce carries the R4 Flag's required
// elements (status, code, subject) with values from their value sets, checkable codes (ICD-10-CM shape,
// SNOMED CT Verhoeff check digit), DS4P labels and a source tag; NDJSON files follow the Bulk Data layout
// and every subject resolves to a Patient line.
import Flags
import Foundation
import LastMileCore
import Reports
import Testing

/// Problems with one resource against the R4 Flag definition (4.0.1) and the value sets we can check here.
func flagProblems(_ r: [String: Any]) -> [String] {
    var problems: [String] = []
    let elements: Set<String> = [
        "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
        "modifierExtension",
        "identifier", "status", "category", "code", "subject", "period", "encounter", "author",
    ]
    for key in r.keys where !elements.contains(key) { problems.append("unknown element \(key)") }
    if r["resourceType"] as? String != "Flag" { problems.append("resourceType") }
    if let id = r["id"] as? String, !matches(id, #"^[A-Za-z0-9\-\.]{1,64}$"#) { problems.append("id") }
    // status 1..1, required binding flag-status.
    if !["active", "inactive", "entered-in-error"].contains(r["status"] as? String ?? "") { problems.append("status") }
    // code 1..1 CodeableConcept.
    let codings = ((r["code"] as? [String: Any])?["coding"] as? [[String: Any]]) ?? []
    if codings.isEmpty { problems.append("code") }
    for c in codings { problems += codingProblems(c) }
    // subject 1..1 Reference.
    let subject = (r["subject"] as? [String: Any])?["reference"] as? String ?? ""
    if !matches(subject, #"^Patient/[A-Za-z0-9\-\.]{1,64}$"#) { problems.append("subject") }
    if let period = r["period"] as? [String: Any] {
        let start = period["start"] as? String ?? ""
        if !matches(start, #"^\d{4}-\d{2}-\d{2}$"#) { problems.append("period.start") }
        if let end = period["end"] as? String, !(matches(end, #"^\d{4}-\d{2}-\d{2}$"#) && end >= start) {
            problems.append("period.end")
        }
        if r["status"] as? String == "inactive", period["end"] == nil { problems.append("inactive without period.end") }
    }
    for category in r["category"] as? [[String: Any]] ?? [] {
        let cs = category["coding"] as? [[String: Any]] ?? []
        if cs.isEmpty { problems.append("category") }
        for c in cs { problems += codingProblems(c) }
    }
    let meta = r["meta"] as? [String: Any] ?? [:]
    let security = meta["security"] as? [[String: Any]] ?? []
    for label in security {
        let system = label["system"] as? String
        let code = label["code"] as? String ?? ""
        if system == FHIRExport.confidentialitySystem, !["U", "L", "M", "N", "R", "V"].contains(code) {
            problems.append("confidentiality \(code)")
        } else if system == FHIRExport.actCodeSystem, !["SOC", "LIVARG", "SDV", "ETH", "PSY"].contains(code) {
            problems.append("sensitivity \(code)")
        }
    }
    return problems
}

func codingProblems(_ c: [String: Any]) -> [String] {
    guard let system = c["system"] as? String, let code = c["code"] as? String, !code.isEmpty,
        code.trimmingCharacters(in: .whitespaces) == code
    else { return ["coding without system or code"] }
    switch system {
    case Coding.icd10cm:
        // ICD-10-CM code shape; we also insist on the Z codes formats.md §5.1 lists.
        let known = ["Z55.8", "Z59.01", "Z59.02", "Z59.811", "Z59.812", "Z65.1", "Z65.2"]
        if !matches(code, #"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"#) || !known.contains(code) {
            return ["icd \(code)"]
        }
    case Coding.snomed:
        if !matches(code, #"^[1-9][0-9]{5,17}$"#) || !verhoeffValid(code) { return ["snomed check digit \(code)"] }
        // Partition identifier 00 or 10: a concept id.
        let digits = Array(code)
        if !["00", "10"].contains(String(digits[digits.count - 3..<digits.count - 1])) {
            return ["snomed partition \(code)"]
        }
    default:
        break
    }
    return []
}

func matches(_ s: String, _ pattern: String) -> Bool { s.range(of: pattern, options: .regularExpression) != nil }

/// The Verhoeff check SNOMED CT identifiers carry in their last digit.
func verhoeffValid(_ digits: String) -> Bool {
    let d: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]
    let p: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ]
    var c = 0
    for (i, ch) in digits.reversed().enumerated() {
        guard let n = ch.wholeNumberValue else { return false }
        c = d[c][p[i % 8][n]]
    }
    return c == 0
}

@Suite struct FHIRExportTests {
    /// One patient's flags of every kind, from the real deriver, some active and some closed.
    static func derivedFlags() -> [Flag] {
        var e = PatientEvents(patientId: "P000117")
        let start = day("2026-08-17")
        for i in 0..<60 {
            let status: AttendanceStatus = i % 5 == 0 ? .absentExcused : .present
            e.append(
                .attendance(AttendanceDay(schoolId: "RUSD-104", date: start.adding(days: i), status: status)),
                from: "riverside-usd")
        }
        e.append(
            .shelterStay(
                ShelterStay(
                    enrollmentId: "E1", projectId: "PR1", projectType: 0, entryDate: day("2026-03-01"),
                    exitDate: day("2026-05-01"), exitDestination: 435)), from: "coc-hmis")
        e.append(
            .shelterStay(
                ShelterStay(enrollmentId: "E2", projectId: "PR1", projectType: 0, entryDate: day("2026-10-01"))),
            from: "coc-hmis")
        e.append(.bedNight(BedNight(enrollmentId: "O1", projectType: 4, date: day("2026-09-20"))), from: "coc-hmis")
        e.append(
            .booking(
                Booking(
                    bookingNumber: "B1", bookedAt: CivilDateTime(date: day("2026-11-01")),
                    releasedAt: CivilDateTime(date: day("2026-11-05")))), from: "county-jail")
        e.append(
            .housingStatus(
                HousingStatusEvent(
                    recordId: "R1", recordType: .evictionFiling, status: .filed, statusDate: day("2026-11-02"))),
            from: "county-evictions")
        return FlagDeriver().flags(for: e, asOf: day("2026-11-20"))
    }

    @Test func everyDerivedFlagIsAValidR4Flag() throws {
        let flags = Self.derivedFlags()
        #expect(Set(flags.map(\.kind)) == Set(FlagKind.allCases))
        #expect(flags.contains { $0.status == .inactive })
        var atRisk = flags[0]
        atRisk.tier = "at-risk"
        atRisk.codes = FlagCodes.codes(for: .chronicAbsenteeism, tier: "at-risk")
        for flag in flags + [atRisk] {
            let line = FHIRExport().flagResource(flag).serialized
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(flagProblems(object) == [], "\(flag.kind.rawValue)")
        }
    }

    @Test func theValidatorCatchesBrokenFlags() throws {
        #expect(verhoeffValid("32911000") && verhoeffValid("1156191002"))
        #expect(!verhoeffValid("32911001") && !verhoeffValid("1156191012"))
        let flag = try #require(Self.derivedFlags().first)
        let good = try #require(
            try JSONSerialization.jsonObject(with: Data(FHIRExport().flagResource(flag).serialized.utf8))
                as? [String: Any])
        #expect(flagProblems(good) == [])
        var broken = good
        broken["subject"] = nil
        broken["status"] = "closed"
        broken["code"] = [
            "coding": [["system": Coding.icd10cm, "code": "Z59"], ["system": Coding.snomed, "code": "32911001"]]
        ]
        broken["note"] = "x"
        #expect(
            Set(flagProblems(broken)) == [
                "subject", "status", "icd Z59", "snomed check digit 32911001", "unknown element note",
            ])
    }

    @Test func aShelteredFlagCarriesCodesLabelsAndItsSource() throws {
        let flag = try #require(Self.derivedFlags().first { $0.kind == .shelteredHomelessness && $0.status == .active })
        let r = try #require(
            try JSONSerialization.jsonObject(with: Data(FHIRExport().flagResource(flag).serialized.utf8))
                as? [String: Any])
        let codings = try #require((r["code"] as? [String: Any])?["coding"] as? [[String: Any]])
        #expect(
            codings.map { "\($0["system"]!)|\($0["code"]!)" } == [
                "http://hl7.org/fhir/sid/icd-10-cm|Z59.01", "http://snomed.info/sct|32911000",
                "urn:lastmile:flag|sheltered-homelessness",
            ])
        let meta = try #require(r["meta"] as? [String: Any])
        #expect((meta["security"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["R", "SOC", "LIVARG"])
        #expect((meta["tag"] as? [[String: Any]])?.first?["code"] as? String == "coc-hmis")
        #expect((r["subject"] as? [String: Any])?["reference"] as? String == "Patient/P000117")
        #expect((r["period"] as? [String: Any])?["start"] as? String == "2026-10-01")
        #expect(r["status"] as? String == "active")
        let categories = try #require(r["category"] as? [[String: Any]])
        #expect(
            categories.compactMap { (($0["coding"] as? [[String: Any]])?.first?["code"] as? String) } == [
                "sdoh", "homelessness",
            ])

        let release = try #require(Self.derivedFlags().first { $0.kind == .incarceration })
        let labels = FHIRExport.securityLabels(release.kind).map(\.code)
        #expect(labels == ["R", "SOC"])
        #expect(FHIRExport.flagId(flag) == FHIRExport.flagId(flag))
        #expect(FHIRExport.flagId(flag) != FHIRExport.flagId(release))
    }

    @Test func bulkDataFilesResolveEverySubject() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-fhir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let flags = Self.derivedFlags()
        let patients = [
            FHIRPatient(
                id: "P000117", givenName: "Ava", familyName: "O'Brien \"Junior\"", birthDate: day("2014-11-23"),
                sex: .female),
            FHIRPatient(id: "P000117", givenName: "Ava"),
        ]
        let files = try FHIRExport().write(flags: flags, patients: patients, to: dir)
        #expect(
            files.map(\.lastPathComponent) == [
                "Flag.ndjson", "Patient.ndjson", "Observation.ndjson", "Organization.ndjson",
            ])
        for f in files {
            let mode = (try FileManager.default.attributesOfItem(atPath: f.path)[.posixPermissions] as? NSNumber)?
                .intValue
            #expect(mode == 0o600)
        }
        func lines(_ url: URL) throws -> [[String: Any]] {
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.hasSuffix("\n"))
            return try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        let flagLines = try lines(files[0])
        let patientLines = try lines(files[1])
        #expect(flagLines.count == flags.count)
        #expect(patientLines.count == 1)
        let patient = patientLines[0]
        #expect(patient["resourceType"] as? String == "Patient")
        #expect(patient["birthDate"] as? String == "2014-11-23")
        #expect(patient["gender"] as? String == "female")
        #expect(((patient["name"] as? [[String: Any]])?.first?["family"] as? String) == "O'Brien \"Junior\"")
        let ids = Set(patientLines.compactMap { $0["id"] as? String })
        for f in flagLines {
            let ref = ((f["subject"] as? [String: Any])?["reference"] as? String) ?? ""
            #expect(ids.contains(String(ref.dropFirst("Patient/".count))))
            #expect(flagProblems(f) == [])
        }
    }

    @Test func jsonStringsEscapeControlCharacters() {
        let v = JSONValue.object([("a", .string("q\"b\\n\n\u{1}\u{2028}")), ("b", .array([.number(1), .bool(false)]))])
        #expect(v.serialized == #"{"a":"q\"b\\n\n\u0001\u2028","b":[1,false]}"#)
    }
}
