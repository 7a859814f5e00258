import LastMileCore

/// The HMIS CSV FY2026 files the sample export holds, with their columns in specification order.
enum HMISFiles {
    static let meta = ["DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"]

    static let export = [
        "ExportID", "SourceType", "SourceID", "SourceName", "SourceContactFirst", "SourceContactLast",
        "SourceContactPhone", "SourceContactExtension", "SourceContactEmail", "ExportDate", "ExportStartDate",
        "ExportEndDate", "SoftwareName", "SoftwareVersion", "CSVVersion", "ExportPeriodType", "ExportDirective",
        "HashStatus", "ImplementationID",
    ]
    static let organization =
        ["OrganizationID", "OrganizationName", "VictimServiceProvider", "OrganizationCommonName"] + meta
    static let project =
        [
            "ProjectID", "OrganizationID", "ProjectName", "ProjectCommonName", "OperatingStartDate",
            "OperatingEndDate", "ContinuumProject", "ProjectType", "HousingType", "RRHSubType",
            "ResidentialAffiliation", "TargetPopulation", "HOPWAMedAssistedLivingFac", "PITCount",
        ] + meta
    static let client =
        [
            "PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN",
            "SSNDataQuality", "DOB", "DOBDataQuality", "Sex", "AmIndAKNative", "Asian", "BlackAfAmerican",
            "HispanicLatinao", "MidEastNAfrican", "NativeHIPacific", "White", "RaceNone", "AdditionalRaceEthnicity",
            "VeteranStatus", "YearEnteredService", "YearSeparated", "WorldWarII", "KoreanWar", "VietnamWar",
            "DesertStorm", "AfghanistanOEF", "IraqOIF", "IraqOND", "OtherTheater", "MilitaryBranch",
            "DischargeStatus",
        ] + meta
    static let enrollment =
        [
            "EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "HouseholdID", "RelationshipToHoH",
            "EnrollmentCoC", "LivingSituation", "RentalSubsidyType", "LengthOfStay", "LOSUnderThreshold",
            "PreviousStreetESSH", "DateToStreetESSH", "TimesHomelessPastThreeYears", "MonthsHomelessPastThreeYears",
            "DisablingCondition", "DateOfEngagement", "MoveInDate", "DateOfPATHStatus", "ClientEnrolledInPATH",
            "ReasonNotEnrolled", "PercentAMI", "ReferralSource", "CountOutreachReferralApproaches",
            "DateOfBCPStatus", "EligibleForRHY", "ReasonNoServices", "RunawayYouth", "FormerWardChildWelfare",
            "ChildWelfareYears", "ChildWelfareMonths", "FormerWardJuvenileJustice", "JuvenileJusticeYears",
            "JuvenileJusticeMonths", "UnemploymentFam", "MentalHealthDisorderFam", "PhysicalDisabilityFam",
            "AlcoholDrugUseDisorderFam", "InsufficientIncome", "IncarceratedParent", "VAMCStation",
            "TargetScreenReqd", "TimeToHousingLoss", "AnnualPercentAMI", "LiteralHomelessHistory",
            "ClientLeaseholder", "HOHLeaseholder", "SubsidyAtRisk", "EvictionHistory", "CriminalRecord",
            "IncarceratedAdult", "PrisonDischarge", "SexOffender", "DisabledHoH", "CurrentPregnant", "SingleParent",
            "DependentUnder6", "HH5Plus", "CoCPrioritized", "HPScreeningScore", "ThresholdScore",
            "MentalHealthConsultation",
        ] + meta
    static let exit =
        [
            "ExitID", "EnrollmentID", "PersonalID", "ExitDate", "Destination", "DestinationSubsidyType",
            "OtherDestination", "HousingAssessment", "SubsidyInformation", "ProjectCompletionStatus",
            "EarlyExitReason", "ExchangeForSex", "ExchangeForSexPastThreeMonths", "CountOfExchangeForSex",
            "AskedOrForcedToExchangeForSex", "AskedOrForcedToExchangeForSexPastThreeMonths",
            "WorkplaceViolenceThreats", "WorkplacePromiseDifference", "CoercedToContinueWork",
            "LaborExploitPastThreeMonths", "CounselingReceived", "IndividualCounseling", "FamilyCounseling",
            "GroupCounseling", "SessionCountAtExit", "PostExitCounselingPlan", "SessionsInPlan",
            "DestinationSafeClient", "DestinationSafeWorker", "PosAdultConnections", "PosPeerConnections",
            "PosCommunityConnections", "AftercareDate", "AftercareProvided", "EmailSocialMedia", "Telephone",
            "InPersonIndividual", "InPersonGroup", "CMExitReason",
        ] + meta
    static let services =
        [
            "ServicesID", "EnrollmentID", "PersonalID", "DateProvided", "RecordType", "TypeProvided",
            "OtherTypeProvided", "MovingOnOtherType", "SubTypeProvided", "FAAmount", "FAStartDate", "FAEndDate",
            "ReferralOutcome",
        ] + meta

    static let headers: [(String, [String])] = [
        ("Export.csv", export), ("Organization.csv", organization), ("Project.csv", project),
        ("Client.csv", client), ("Enrollment.csv", enrollment), ("Exit.csv", exit), ("Services.csv", services),
    ]

    /// String-typed columns, which an HMIS export writes in double quotes (SSN and ids keep leading zeros).
    static let stringColumns: Set<String> = [
        "ExportID", "SourceID", "SourceName", "SourceContactFirst", "SourceContactLast", "SourceContactPhone",
        "SourceContactExtension", "SourceContactEmail", "SoftwareName", "SoftwareVersion", "CSVVersion",
        "ImplementationID", "OrganizationID", "OrganizationName", "OrganizationCommonName", "ProjectID",
        "ProjectName", "ProjectCommonName", "PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "SSN",
        "AdditionalRaceEthnicity", "EnrollmentID", "HouseholdID", "EnrollmentCoC", "VAMCStation", "ExitID",
        "OtherDestination", "ServicesID", "OtherTypeProvided", "MovingOnOtherType", "UserID",
    ]

    static func quoted(_ header: [String]) -> Set<Int> {
        Set(header.indices.filter { stringColumns.contains(header[$0]) })
    }

    /// A row of `header`'s width with the given columns filled and the rest empty (null).
    static func row(_ header: [String], _ values: [String: String]) -> [String] {
        header.map { values[$0] ?? "" }
    }
}

extension SampleWorldWriter {
    /// Projects of the sample continuum: (id, organization, name, ProjectType, TargetPopulation).
    private static let projects: [(id: String, org: String, name: String, type: Int, target: Int)] = [
        ("101", "1", "Harbor Light Emergency Shelter", 0, 4),
        ("102", "1", "Harbor Light Night Shelter", 1, 4),
        ("201", "2", "Valley Family Transitional Housing", 2, 4),
        ("202", "2", "Valley Street Outreach", 4, 4),
        ("301", "3", "Safe Harbor Shelter", 0, 1),
    ]

    mutating func writeHMIS() throws {
        var rng = root.fork(6)
        let folder = "inbox/coc-hmis/hmis-export-\(stamp)"
        let exportId = "LMX\(stamp.replacingOccurrences(of: "-", with: ""))"
        let created = "\(asOf.adding(days: -400)) 09:00:00"
        func meta(_ date: CivilDate, _ rng: inout SplitMix64) -> [String: String] {
            let time =
                "\(String(rng.int(in: 8...19)).leftPadded(to: 2)):\(String(rng.int(in: 0...59)).leftPadded(to: 2)):00"
            return [
                "DateCreated": "\(date) \(time)", "DateUpdated": "\(date) \(time)",
                "UserID": "U\(rng.int(in: 11...29))", "ExportID": exportId,
            ]
        }

        // Who stays where: mostly single adults and single parents, chosen from every district.
        var chosen: [SyntheticHousehold] = []
        for household in model.households {
            let adults = household.members.filter { $0.role == .adult }
            let weight = adults.count == 1 ? 0.16 : 0.05
            if rng.chance(weight) { chosen.append(household) }
        }
        if chosen.count < 6 {
            chosen += model.households.filter { h in !chosen.contains { $0.key == h.key } }.prefix(6 - chosen.count)
        }
        // The family of the most absent Riverside student who is a patient (and not a twin) is in a shelter now,
        // so a Monday list shows a child with both flags (homeless students miss school more); added last, so
        // the draws for everyone else stay as they were.
        let stayingFamilies = shelteredStudentHousehold.map { [$0] } ?? []
        for key in stayingFamilies where !chosen.contains(where: { $0.key == key }) {
            if let household = model.households.first(where: { $0.key == key }) { chosen.append(household) }
        }
        var clients: [Int: (id: String, person: SyntheticPerson)] = [:]
        var clientRows: [[String]] = []
        var enrollmentRows: [[String]] = []
        var exitRows: [[String]] = []
        var serviceRows: [[String]] = []
        var personalNumber = 100_200
        var enrollmentNumber = 5_000
        var serviceNumber = 90_000
        var refusedSSNDone = false
        var partialSSNDone = false
        var softDeleteDone = false
        var partialNameDone = false

        for (index, household) in chosen.enumerated() {
            let family = household.members.count > 1 && household.members.contains { $0.role == .child }
            let members = family ? household.members : [household.members.first { $0.role == .adult }!]
            let project: (id: String, org: String, name: String, type: Int, target: Int)
            if index == 1 {
                project = Self.projects[4]  // the victim service provider's shelter
            } else if family {
                project = rng.chance(0.45) ? Self.projects[0] : Self.projects[2]
            } else {
                project = [Self.projects[0], Self.projects[1], Self.projects[1], Self.projects[3]][rng.below(4)]
            }
            let entry = asOf.adding(days: -rng.int(in: 4...300))
            let stayLength = entry.days(until: asOf)
            let exited = rng.chance(0.5) && stayLength > 2 && !stayingFamilies.contains(household.key)
            let exitDate = exited ? entry.adding(days: rng.int(in: 1...min(stayLength - 1, 120))) : nil
            let householdId = "HH\(household.key + 7000)"
            let hoh = members[0]

            for person in members {
                if clients[person.key] == nil {
                    personalNumber += rng.int(in: 1...19)
                    let personalId = String(personalNumber)
                    clients[person.key] = (personalId, person)
                    noteSource(SampleWorld.hmisSource, person)
                    var p = Messiness.record(
                        of: person, address: household.currentAddress, phone: nil, profile: .source, rng: &rng)
                    var values = meta(entry, &rng)
                    values["PersonalID"] = personalId
                    values["FirstName"] = p.givenName
                    values["MiddleName"] = p.middleName
                    values["LastName"] = p.familyName
                    values["NameSuffix"] = p.suffix
                    values["NameDataQuality"] = "1"
                    if !partialNameDone, refusedSSNDone, partialSSNDone, age(person) >= 18 {
                        // Known to outreach by first name only: a partial name (quality 2).
                        partialNameDone = true
                        values["LastName"] = ""
                        values["MiddleName"] = ""
                        values["NameDataQuality"] = "2"
                    }
                    var ssnQuality = "1"
                    if !refusedSSNDone && age(person) >= 18 {
                        // The client refused to give an SSN: the field is empty and the quality code says why.
                        refusedSSNDone = true
                        p.ssn = ""
                        ssnQuality = "9"
                    } else if !partialSSNDone, let ssn = person.ssn, age(person) >= 18 {
                        partialSSNDone = true
                        p.ssn = "xxxxx" + String(ssn.suffix(4))
                        ssnQuality = "2"
                    } else if p.ssn.isEmpty || placeholderSSNs.contains(p.ssn) {
                        // Placeholders must be exported as null (HMIS CSV general rules).
                        p.ssn = ""
                        ssnQuality = rng.chance(0.5) ? "99" : "8"
                    }
                    values["SSN"] = p.ssn
                    values["SSNDataQuality"] = ssnQuality
                    if let birth = p.birthDate, rng.chance(0.06) {
                        values["DOB"] = "\(birth.year)-01-01"
                        values["DOBDataQuality"] = "2"
                    } else {
                        values["DOB"] = p.birthDateText
                        values["DOBDataQuality"] = p.birthDate == nil ? "8" : "1"
                    }
                    values["Sex"] = p.sex.map { $0 == .female ? "0" : "1" } ?? "99"
                    let races = [
                        "AmIndAKNative", "Asian", "BlackAfAmerican", "MidEastNAfrican", "NativeHIPacific", "White",
                    ]
                    let race = rng.pick(races)
                    for column in races { values[column] = column == race ? "1" : "0" }
                    values["HispanicLatinao"] =
                        NameLists.hispanicFamily.contains(String(person.familyName.split(separator: " ")[0]))
                        ? "1" : "0"
                    values["VeteranStatus"] = age(person) < 18 ? "99" : (rng.chance(0.9) ? "0" : "8")
                    clientRows.append(HMISFiles.row(HMISFiles.client, values))
                }
                let personalId = clients[person.key]!.id
                enrollmentNumber += rng.int(in: 1...9)
                let enrollmentId = "E\(enrollmentNumber)"
                var values = meta(entry, &rng)
                values["EnrollmentID"] = enrollmentId
                values["PersonalID"] = personalId
                values["ProjectID"] = project.id
                values["EntryDate"] = entry.description
                values["HouseholdID"] = householdId
                values["RelationshipToHoH"] =
                    person.key == hoh.key ? "1" : (person.role == .child ? "2" : "3")
                values["EnrollmentCoC"] = "OR-500"
                values["LivingSituation"] = person.key == hoh.key ? rng.pick(["116", "101", "312", "314"]) : ""
                values["DisablingCondition"] = rng.pick(["0", "0", "1", "99"])
                if project.type == 4 { values["DateOfEngagement"] = entry.adding(days: rng.int(in: 0...5)).description }
                enrollmentRows.append(HMISFiles.row(HMISFiles.enrollment, values))

                if !softDeleteDone && index >= 2 {
                    // A duplicate enrollment typed in twice and then deleted: soft-deleted rows must be skipped.
                    softDeleteDone = true
                    var deleted = values
                    enrollmentNumber += 1
                    deleted["EnrollmentID"] = "E\(enrollmentNumber)"
                    deleted["DateDeleted"] = "\(entry.adding(days: 1)) 10:15:00"
                    enrollmentRows.append(HMISFiles.row(HMISFiles.enrollment, deleted))
                }

                if let exitDate {
                    var exitValues = meta(exitDate, &rng)
                    exitValues["ExitID"] = "X" + enrollmentId.dropFirst()
                    exitValues["EnrollmentID"] = enrollmentId
                    exitValues["PersonalID"] = personalId
                    exitValues["ExitDate"] = exitDate.description
                    exitValues["Destination"] = rng.pick(["410", "422", "312", "101", "116", "30"])
                    exitRows.append(HMISFiles.row(HMISFiles.exit, exitValues))
                }
                if project.type == 1 {
                    // Night-by-night shelter: a bed night on entry, then most nights until the day before exit.
                    let lastNight = exitDate?.adding(days: -1) ?? asOf.adding(days: -1)
                    var night = entry
                    while night <= lastNight {
                        if night == entry || rng.chance(0.8) {
                            serviceNumber += 1
                            var s = meta(night.adding(days: 1), &rng)
                            s["ServicesID"] = "S\(serviceNumber)"
                            s["EnrollmentID"] = enrollmentId
                            s["PersonalID"] = personalId
                            s["DateProvided"] = night.description
                            s["RecordType"] = "200"
                            s["TypeProvided"] = "200"
                            serviceRows.append(HMISFiles.row(HMISFiles.services, s))
                        }
                        night = night.adding(days: 1)
                    }
                }
            }
        }

        // Deliberately bad rows: an impossible entry date, an enrollment without a person, an unreadable bed night.
        if let template = enrollmentRows.first {
            let e = HMISFiles.enrollment
            var bad = template
            bad[e.firstIndex(of: "EnrollmentID")!] = "E\(enrollmentNumber + 11)"
            bad[e.firstIndex(of: "EntryDate")!] = "2026-02-30"
            enrollmentRows.insert(bad, at: enrollmentRows.count / 2)
            var orphan = template
            orphan[e.firstIndex(of: "EnrollmentID")!] = "E\(enrollmentNumber + 12)"
            orphan[e.firstIndex(of: "PersonalID")!] = ""
            enrollmentRows.append(orphan)
        }
        if let template = serviceRows.first {
            var bad = template
            bad[0] = "S\(serviceNumber + 5)"
            bad[HMISFiles.services.firstIndex(of: "DateProvided")!] = "20261105"
            serviceRows.insert(bad, at: serviceRows.count / 3)
        }

        let exportRow = HMISFiles.row(
            HMISFiles.export,
            [
                "ExportID": exportId, "SourceType": "1", "SourceID": "OR-500", "SourceContactFirst": "Data",
                "SourceContactLast": "Desk", "SourceContactPhone": "5415550100",
                "SourceContactEmail": "hmis-admin@coc.example", "ExportDate": "\(asOf) 02:00:00",
                "ExportStartDate": "2025-10-01", "ExportEndDate": asOf.description,
                "SoftwareName": "Synthetic HMIS", "SoftwareVersion": "1.0", "CSVVersion": "2026 v1.0",
                "ExportPeriodType": "3", "ExportDirective": "2", "HashStatus": "1",
                "ImplementationID": "lastmile-sample",
            ])
        let organizations: [[String]] = [
            ("1", "Harbor Light Services", "0"), ("2", "Valley Family Shelter Network", "0"),
            ("3", "Safe Harbor Alliance", "1"),
        ].map { org in
            var values = ["OrganizationID": org.0, "OrganizationName": org.1, "VictimServiceProvider": org.2]
            values.merge(["DateCreated": created, "DateUpdated": created, "UserID": "U11", "ExportID": exportId]) {
                a, _ in a
            }
            return HMISFiles.row(HMISFiles.organization, values)
        }
        let projectRows: [[String]] = Self.projects.map { project in
            HMISFiles.row(
                HMISFiles.project,
                [
                    "ProjectID": project.id, "OrganizationID": project.org, "ProjectName": project.name,
                    "OperatingStartDate": "2015-07-01", "ContinuumProject": "1", "ProjectType": String(project.type),
                    "HousingType": project.type == 4 ? "" : "1", "TargetPopulation": String(project.target),
                    "DateCreated": created, "DateUpdated": created, "UserID": "U11", "ExportID": exportId,
                ])
        }
        let tables: [(String, [String], [[String]])] = [
            ("Export.csv", HMISFiles.export, [exportRow]),
            ("Organization.csv", HMISFiles.organization, organizations),
            ("Project.csv", HMISFiles.project, projectRows),
            ("Client.csv", HMISFiles.client, clientRows),
            ("Enrollment.csv", HMISFiles.enrollment, enrollmentRows),
            ("Exit.csv", HMISFiles.exit, exitRows),
            ("Services.csv", HMISFiles.services, serviceRows),
        ]
        for (file, header, rows) in tables {
            try write("\(folder)/\(file)", header: header, rows: rows, quoted: HMISFiles.quoted(header))
        }
        hmisHeads = chosen.enumerated().compactMap { index, household in
            index == 1 ? nil : household.members.first { $0.role == .adult }
        }
    }
}
