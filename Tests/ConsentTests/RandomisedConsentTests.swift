import LastMileCore
import Testing

@testable import Consent

// MARK: The oracle — written from docs/consent.md, independently of ConsentGate's code.

/// Whether the consent rules let data through, and which directives, if any, deny it.
struct OracleVerdict {
    var passes: Bool
    var denyingDirectives: Set<String>
}

enum Oracle {
    static func ageIsMinorOrUnknown(_ birth: CivilDate?, on date: CivilDate, majority: Int) -> Bool {
        guard let birth else { return true }
        return birth.age(on: date) < majority
    }

    static func gate1(_ record: SourceRecord, purpose: PurposeOfUse, date: CivilDate, policy: ConsentPolicy) -> Bool {
        if record.labels.count > 0 { return false }
        let category = record.event.category
        let usable = policy.agreements.contains { a in
            a.source == record.source && a.category == category && a.effective <= date && date <= a.expires
                && a.purposes.contains(purpose)
        }
        if !usable { return false }
        if case .booking(let b) = record.event, let minimum = policy.minors.justiceMinimumAge,
            let birth = record.person.birthDate, birth.age(on: b.bookedAt.date) < minimum
        {
            return false
        }
        return true
    }

    /// Whether one provision node, on its own, is about this request.
    static func nodeCovers(_ p: Provision, _ r: ConsentRequest) -> Bool {
        if let start = p.period?.start, r.date < start { return false }
        if let end = p.period?.end, end < r.date { return false }
        if p.categories.count > 0 && !p.categories.contains(r.category) { return false }
        if p.securityLabels.count > 0 {
            let carried: Set<String> =
                [.shelter, .housing].contains(r.category) ? ["R", "SOC", "LIVARG"] : ["R", "SOC"]
            if p.securityLabels.intersection(carried).isEmpty { return false }
        }
        if p.resourceClasses.count > 0 && !p.resourceClasses.contains("Flag") { return false }
        if p.sources.count > 0 && !p.sources.contains(r.source) { return false }
        if p.purposes.count > 0 && !p.purposes.contains(r.purpose) { return false }
        if p.actors.count > 0 {
            guard let who = r.recipient else { return p.type == .permit }
            let named = p.actors.contains { actor in
                switch actor {
                case .practice(let id): return who.practiceId == id
                case .role(let role): return who.roles.contains(role)
                }
            }
            if !named { return false }
        }
        return true
    }

    /// The types of the most specific covering provisions (covering nodes none of whose children cover).
    static func leafTypes(_ p: Provision, _ r: ConsentRequest) -> [ProvisionType] {
        guard nodeCovers(p, r) else { return [] }
        let below = p.provisions.flatMap { leafTypes($0, r) }
        return below.isEmpty ? [p.type] : below
    }

    static func sameScope(_ a: Provision, _ b: Provision) -> Bool {
        a.actors == b.actors && a.purposes == b.purposes && a.categories == b.categories
            && a.securityLabels == b.securityLabels && a.resourceClasses == b.resourceClasses && a.sources == b.sources
    }

    static func gate2(_ r: ConsentRequest, directives: [ConsentDirective], policy: ConsentPolicy) -> OracleVerdict {
        let deny = OracleVerdict(passes: false, denyingDirectives: [])
        let agreement = policy.agreements.first { a in
            a.source == r.source && a.category == r.category && a.effective <= r.date && r.date <= a.expires
        }
        guard let agreement, agreement.purposes.contains(r.purpose) else { return deny }
        if let who = r.recipient, who.roles.intersection(agreement.recipientRoles).isEmpty { return deny }
        let minor = ageIsMinorOrUnknown(r.patientBirthDate, on: r.date, majority: policy.minors.ageOfMajority)
        if let who = r.recipient, minor, policy.minors.adolescentProtectedCategories.contains(r.category),
            !who.roles.intersection(policy.minors.parentFacingRoles).isEmpty
        {
            return deny
        }
        let adultOrUnknown = r.patientBirthDate == nil || !minor
        func lapsed(_ d: ConsentDirective) -> Bool {
            (d.grantorRole == .parent || d.grantorRole == .guardian) && adultOrUnknown
                && policy.minors.parentalAuthorityEndsAtMajority.contains(r.category)
        }
        let live = directives.filter { d in
            d.patientId == r.patientId && d.status == .active
                && (d.provision.period?.start.map { $0 <= r.date } ?? true)
                && (d.provision.period?.end.map { r.date <= $0 } ?? true)
                && policy.guardians.acceptedGrantorRoles.contains(d.grantorRole)
        }
        let standing = live.filter { d in
            !live.contains { e in
                let courtProtected =
                    policy.guardians.courtOrdersFinal && d.grantorRole == .court && e.grantorRole != .court
                return d.recorded < e.recorded && sameScope(d.provision, e.provision) && !lapsed(e) && !courtProtected
            }
        }
        var denying: Set<String> = []
        var permitted = false
        for d in standing {
            let leaves = leafTypes(d.provision, r)
            if leaves.isEmpty { continue }
            if leaves.contains(.deny) {
                denying.insert(d.id)
            } else if !lapsed(d) {
                permitted = true
            }
        }
        if !denying.isEmpty { return OracleVerdict(passes: false, denyingDirectives: denying) }
        if permitted { return OracleVerdict(passes: true, denyingDirectives: []) }
        let defaultPermits = policy.model == .optOut && !agreement.patientPermitRequired
        return OracleVerdict(passes: defaultPermits, denyingDirectives: [])
    }
}

// MARK: Generated worlds

struct WorldGenerator {
    var rng: SplitMix64

    let sources: [(String, DataCategory)] = [
        ("riverside-usd", .education), ("coc-hmis", .shelter), ("county-jail", .justice), ("ce-by-name-list", .housing),
    ]
    let purposes: [PurposeOfUse] = [.treatment, .careManagement, .publicHealth]
    let roles = ["pediatrics", "primary-care", "parent-portal"]
    let actors: [ConsentActor] = [
        .practice("riverside-peds"), .practice("lakeside-peds"), .role("pediatrics"), .role("parent-portal"),
    ]
    let recipients: [Recipient?] = [
        nil, Recipient(practiceId: "riverside-peds", roles: ["pediatrics"]),
        Recipient(practiceId: "lakeside-peds", roles: ["pediatrics"]),
        Recipient(practiceId: "portal", roles: ["parent-portal"]),
        Recipient(practiceId: "bh", roles: ["behavioral-health"]),
    ]
    let patients = ["P0", "P1", "P2", "P3"]

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs.randomElement(using: &rng)! }
    mutating func subset<T: Hashable>(_ xs: [T], _ p: Double) -> Set<T> { Set(xs.filter { _ in chance(p) }) }
    mutating func dayNear(_ d: CivilDate, _ spread: Int) -> CivilDate {
        d.adding(days: Int.random(in: -spread...spread, using: &rng))
    }

    mutating func policy() -> ConsentPolicy {
        var agreements: [DataSharingAgreement] = []
        for (source, category) in sources where chance(0.9) {
            let effective = chance(0.8) ? runDate.adding(days: -200) : dayNear(runDate, 20)
            let expires = chance(0.8) ? runDate.adding(days: 200) : dayNear(runDate, 20)
            agreements.append(
                DataSharingAgreement(
                    id: "\(source)-dsa", source: source, category: category, legalBasis: "HIPAA-TPO",
                    purposes: chance(0.85)
                        ? Set<PurposeOfUse>([.treatment]).union(subset(purposes, 0.5)) : subset(purposes, 0.5),
                    recipientRoles: chance(0.8) ? Set(["pediatrics"]).union(subset(roles, 0.5)) : subset(roles, 0.5),
                    personFields: subset(PersonField.allCases, 0.6), eventFields: EventField.fields(of: category),
                    effective: effective, expires: max(effective, expires), patientPermitRequired: chance(0.15)))
        }
        return ConsentPolicy(
            model: chance(0.6) ? .optOut : .optIn, agreements: agreements,
            minors: MinorsRules(
                ageOfMajority: 18, parentalAuthorityEndsAtMajority: subset(DataCategory.allCases, 0.4),
                adolescentProtectedCategories: subset(DataCategory.allCases, 0.4), parentFacingRoles: ["parent-portal"],
                justiceMinimumAge: chance(0.8) ? 18 : nil),
            guardians: GuardianRules(
                acceptedGrantorRoles: Set<GrantorRole>([.self]).union(
                    subset([GrantorRole.parent, .guardian, .court], 0.8)),
                courtOrdersFinal: chance(0.7)))
    }

    mutating func period() -> DateRange? {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: DateRange(start: dayNear(runDate, 30))
        case 1: DateRange(end: dayNear(runDate, 30))
        case 2:
            {
                let s = dayNear(runDate, 30)
                return DateRange(start: s, end: s.adding(days: Int.random(in: 0...40, using: &rng)))
            }()
        default: nil
        }
    }

    mutating func provision(depth: Int, parent: ProvisionType?) -> Provision {
        let type: ProvisionType =
            parent.map { chance(0.8) ? ($0 == .permit ? .deny : .permit) : $0 } ?? (chance(0.5) ? .permit : .deny)
        var p = Provision(
            type: type, period: chance(0.3) ? period() : nil, actors: chance(0.3) ? subset(actors, 0.4) : [],
            purposes: chance(0.3) ? subset(purposes, 0.5) : [],
            categories: chance(0.4) ? subset(DataCategory.allCases, 0.4) : [],
            securityLabels: chance(0.1) ? [pick(["LIVARG", "SOC", "HIV"])] : [],
            resourceClasses: chance(0.05) ? [pick(["Flag", "Condition"])] : [],
            sources: chance(0.3) ? subset(sources.map(\.0), 0.4) : [])
        if depth < 3 {
            for _ in 0..<Int.random(in: 0...(depth == 0 ? 2 : 1), using: &rng) where chance(0.5) {
                p.provisions.append(provision(depth: depth + 1, parent: type))
            }
        }
        return p
    }

    mutating func directives(_ n: Int) -> [ConsentDirective] {
        var out: [ConsentDirective] = []
        for i in 0..<n {
            var root = provision(depth: 0, parent: nil)
            // Half the time copy an earlier directive's scope, so supersession happens often.
            if let earlier = out.randomElement(using: &rng), chance(0.4) {
                root = Provision(
                    type: chance(0.5) ? .permit : .deny, period: root.period, actors: earlier.provision.actors,
                    purposes: earlier.provision.purposes, categories: earlier.provision.categories,
                    securityLabels: earlier.provision.securityLabels,
                    resourceClasses: earlier.provision.resourceClasses,
                    sources: earlier.provision.sources, provisions: root.provisions)
            }
            let status: ConsentDirective.Status = chance(0.8) ? .active : pick(ConsentDirective.Status.allCases)
            out.append(
                ConsentDirective(
                    id: "d\(i)", status: status, patientId: chance(0.2) ? pick(patients) : "P1",
                    recorded: runDate.adding(days: -Int.random(in: 0...400, using: &rng)),
                    grantorRole: pick(GrantorRole.allCases),
                    provision: root))
        }
        return out
    }

    mutating func birthDate() -> CivilDate? {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: nil
        case 1: runDate.adding(days: -Int.random(in: 4000...6500, using: &rng))  // a child or teen
        case 2: runDate.adding(days: -(18 * 365 + Int.random(in: -10...10, using: &rng)))  // about 18
        default: runDate.adding(days: -Int.random(in: 7000...25000, using: &rng))
        }
    }

    mutating func record() -> SourceRecord {
        let (source, category) = chance(0.95) ? pick(sources) : ("unknown-source", .education)
        let event: SourceEvent
        switch category {
        case .education:
            event = .attendance(
                AttendanceDay(
                    schoolId: "S", schoolName: "N", grade: "3", date: runDate, status: .absentExcused, minutesAbsent: 10
                ))
        case .shelter:
            event = .shelterStay(
                ShelterStay(
                    enrollmentId: "E", projectId: "P", projectType: 1, entryDate: runDate, exitDate: runDate,
                    moveInDate: runDate, exitDestination: 1))
        case .justice:
            event = .booking(
                Booking(
                    bookingNumber: "B", bookedAt: CivilDateTime(date: dayNear(runDate, 300)), releasedAt: nil,
                    facility: "F", chargeCount: 1, agency: "A"))
        case .housing:
            event = .housingStatus(
                HousingStatusEvent(
                    recordId: "H", recordType: .byNameList, status: .active, statusDate: runDate, program: "p",
                    householdId: "h"))
        }
        let labels: Set<RestrictionLabel> =
            chance(0.1) ? [pick(RestrictionRule.builtIn.map(\.label) + [RestrictionLabel(rawValue: "other")])] : []
        return SourceRecord(
            source: source, recordId: "r",
            person: PersonIdentity(
                sourcePersonId: "s", givenName: "g", middleName: "m", familyName: "f", suffix: "x",
                birthDate: birthDate(), sex: .male,
                street: "st", city: "c", state: "s", postalCode: "p", phone: "ph", ssn: "123456789", ssnLast4: nil),
            event: event, labels: labels, provenance: Provenance(file: "f", line: 1))
    }
}

/// The person fields set on a record, by policy name (written against PersonIdentity, not the engine).
func presentPersonFields(_ p: PersonIdentity) -> Set<PersonField> {
    var s: Set<PersonField> = []
    if p.sourcePersonId != nil { s.insert(.sourcePersonId) }
    if p.givenName != nil { s.insert(.givenName) }
    if p.middleName != nil { s.insert(.middleName) }
    if p.familyName != nil { s.insert(.familyName) }
    if p.suffix != nil { s.insert(.suffix) }
    if p.birthDate != nil { s.insert(.birthDate) }
    if p.sex != nil { s.insert(.sex) }
    if p.street != nil { s.insert(.street) }
    if p.city != nil { s.insert(.city) }
    if p.state != nil { s.insert(.state) }
    if p.postalCode != nil { s.insert(.postalCode) }
    if p.phone != nil { s.insert(.phone) }
    if p.ssn != nil { s.insert(.ssn) }
    if p.ssnLast4 != nil { s.insert(.ssnLast4) }
    return s
}

@Suite("Randomised: nothing denied by a rule or an applicable directive passes a gate or delivery")
struct RandomisedConsentTests {
    @Test func noDeniedRecordPassesAnyGate() {
        var gen = WorldGenerator(rng: SplitMix64(seed: 20_261_120))
        var directivesGenerated = 0
        var recordsChecked = 0
        var deniedByDirective = 0
        var passedBoth = 0
        var failures = 0
        for _ in 0..<1500 {
            let policy = gen.policy()
            let gate = ConsentGate(policy: policy)
            let directives = gen.directives(Int.random(in: 0...7, using: &gen.rng))
            directivesGenerated += directives.count
            for _ in 0..<12 {
                let record = gen.record()
                let purpose = gen.chance(0.8) ? PurposeOfUse.treatment : gen.pick(gen.purposes)
                let date = gen.chance(0.7) ? runDate : gen.dayNear(runDate, 25)
                recordsChecked += 1

                // Gate 1
                let g1 = gate.admit(record, purpose: purpose, on: date)
                let oracle1 = Oracle.gate1(record, purpose: purpose, date: date, policy: policy)
                if (g1.admitted != nil) != oracle1 {
                    failures += 1
                    if failures < 5 { Issue.record("gate 1 disagrees: \(g1.decision)") }
                    continue
                }
                guard let admitted = g1.admitted else { continue }
                let agreement = policy.agreements.first {
                    $0.source == record.source && $0.category == record.event.category
                }!
                let leaked = presentPersonFields(admitted.person).subtracting(agreement.personFields)
                #expect(leaked.isEmpty, "gate 1 kept fields the agreement does not permit: \(leaked)")

                // Gate 2 (load, no recipient) and delivery to each recipient.
                for recipient in gen.recipients {
                    let req = ConsentRequest(
                        patientId: "P1", category: record.event.category, source: record.source, purpose: purpose,
                        recipient: recipient, date: date, patientBirthDate: record.person.birthDate)
                    let decision = gate.evaluate(req, directives: directives)
                    let oracle = Oracle.gate2(req, directives: directives, policy: policy)
                    if !oracle.denyingDirectives.isEmpty {
                        deniedByDirective += 1
                        #expect(!decision.passes, "an applicable deny was overridden: \(decision)")
                        #expect(
                            Set(decision.directiveIds) == oracle.denyingDirectives || decision.reason != .denyDirective)
                    }
                    if decision.passes != oracle.passes {
                        failures += 1
                        if failures < 5 {
                            Issue.record(
                                """
                                engine \(decision.reason.rawValue) vs oracle passes=\(oracle.passes) \
                                for \(recipient?.description ?? "load")
                                """
                            )
                        }
                    }
                    if recipient == nil, decision.passes { passedBoth += 1 }
                }
            }
        }
        #expect(failures == 0)
        // The generated worlds must exercise both outcomes, or the test proves nothing.
        #expect(directivesGenerated > 4000)
        #expect(recordsChecked >= 18000)
        #expect(deniedByDirective > 1000)
        #expect(passedBoth > 1000)
    }
}
