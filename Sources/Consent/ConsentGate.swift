import LastMileCore

/// Gate 1's verdict on one extracted record: admitted (minimised) or dropped, with the decision either way.
public enum GateDecision: Sendable, Hashable {
    /// The record may go on to matching; it holds only the fields the agreement permits and a stage needs.
    case admit(SourceRecord, ConsentDecision)
    /// The record stops here and is never stored.
    case drop(ConsentDecision)

    public var decision: ConsentDecision {
        switch self {
        case .admit(_, let d), .drop(let d): d
        }
    }

    /// The minimised record, when admitted.
    public var admitted: SourceRecord? {
        if case .admit(let record, _) = self { return record }
        return nil
    }
}

/// The consent stage: gate 1 before matching, gate 2 after matching, and the delivery re-check.
///
/// Pure: it sees only the policy, the record or request, and the directives the caller hands in.
public struct ConsentGate: Sendable {
    public let policy: ConsentPolicy
    /// Per agreement, what gate 1 needs without hashing per record: field masks and ready-made decisions.
    let plans: [AgreementPlan]
    /// Source name → the agreement id its source config names (`agreement:`); gate 1 admits a listed source's
    /// records under that agreement only. Sources not listed fall back to any agreement with the source.
    public let sourceAgreements: [String: String]

    /// - Parameter sourceAgreements: source name → the `agreement:` id of its config (see `sourceAgreements`).
    public init(policy: ConsentPolicy, sourceAgreements: [String: String] = [:]) {
        self.policy = policy
        self.plans = policy.agreements.map(AgreementPlan.init)
        self.sourceAgreements = sourceAgreements
    }

    /// An agreement prepared for per-record use.
    struct AgreementPlan: Sendable {
        let agreement: DataSharingAgreement
        let purposes: [PurposeOfUse]
        /// The `admit.agreement` decision for each of `purposes`, same order.
        let admitDecisions: [ConsentDecision]
        let personMask: UInt32
        /// Optional event fields kept: permitted and needed by a flag rule.
        let eventMask: UInt32

        init(_ a: DataSharingAgreement) {
            agreement = a
            purposes = a.purposes.sorted()
            admitDecisions = purposes.map { purpose in
                ConsentDecision(
                    reason: .admitAgreement, rule: "agreements[\(a.id)]",
                    explanation: "admitted under \(a.id) (\(a.legalBasis)) for \(purpose.rawValue)")
            }
            personMask = FieldMask.of(a.personFields)
            eventMask = FieldMask.of(a.eventFields.intersection(EventField.neededForFlags(a.category)))
        }
    }

    // MARK: Gate 1

    /// Gate 1: drops a record without an agreement in force for `purpose`, or with a restriction label;
    /// otherwise returns it minimised to what its agreement permits and matching or flags need.
    ///
    /// Order: restriction labels, then the agreement (missing, not yet effective, expired, purpose), then the
    /// minors' justice age rule, then minimisation (see `minimise(_:under:)`).
    public func admit(_ record: SourceRecord, purpose: PurposeOfUse, on date: CivilDate) -> GateDecision {
        if let label = firstLabel(record.labels) {
            let basis = policy.restrictions.first { $0.label == label }?.basis ?? "not listed in the policy"
            return .drop(
                ConsentDecision(
                    reason: .drop(label: label), rule: "restrictions[\(label.rawValue)]",
                    explanation: "record carries restriction label \(label.rawValue) (\(basis))"))
        }
        let category = record.event.category
        let plan: AgreementPlan
        switch resolveAgreement(
            source: record.source, category: category, purpose: purpose, recipient: nil, on: date,
            agreementId: sourceAgreements[record.source])
        {
        case .inForce(let p): plan = p
        case .refused(let outcome, let rule, let text):
            return .drop(ConsentDecision(reason: outcome.gate1Reason, rule: rule, explanation: text))
        }
        if let minimumAge = policy.minors.justiceMinimumAge, case .booking(let booking) = record.event,
            let birthDate = record.person.birthDate, birthDate.age(on: booking.bookedAt.date) < minimumAge
        {
            return .drop(
                ConsentDecision(
                    reason: .dropMinorJustice, rule: "minors.justice_minimum_age",
                    explanation: "justice record of a person under \(minimumAge) at booking"))
        }
        let minimised = Self.minimise(record, person: plan.personMask, event: plan.eventMask)
        let decision = plan.admitDecisions[plan.purposes.firstIndex(of: purpose)!]
        return .admit(minimised, decision)
    }

    /// The record with every field its agreement does not permit, or that no stage needs, set to nil.
    ///
    /// Person: a field is kept iff the agreement lists it (matching compares them all); when `ssn` is not
    /// permitted but `ssn_last4` is, the last four digits are kept. Event: required fields are kept (policy
    /// validation makes agreements permit them); an optional field is kept iff the agreement lists it and
    /// `EventField.neededForFlags` names it. Labels and provenance are kept as they are.
    public static func minimise(_ record: SourceRecord, under agreement: DataSharingAgreement) -> SourceRecord {
        let kept = agreement.eventFields.intersection(EventField.neededForFlags(record.event.category))
        return minimise(record, person: FieldMask.of(agreement.personFields), event: FieldMask.of(kept))
    }

    static func minimise(_ record: SourceRecord, person p: UInt32, event e: UInt32) -> SourceRecord {
        var out = record
        let original = record.person
        func keep<T>(_ field: PersonField, _ value: T?) -> T? { FieldMask.contains(p, field) ? value : nil }
        var person = PersonIdentity(
            sourcePersonId: keep(.sourcePersonId, original.sourcePersonId),
            givenName: keep(.givenName, original.givenName), middleName: keep(.middleName, original.middleName),
            familyName: keep(.familyName, original.familyName), suffix: keep(.suffix, original.suffix),
            birthDate: keep(.birthDate, original.birthDate), sex: keep(.sex, original.sex),
            street: keep(.street, original.street), city: keep(.city, original.city),
            state: keep(.state, original.state),
            postalCode: keep(.postalCode, original.postalCode), phone: keep(.phone, original.phone),
            ssn: keep(.ssn, original.ssn), ssnLast4: keep(.ssnLast4, original.ssnLast4))
        if person.ssnLast4 == nil, FieldMask.contains(p, .ssnLast4), let ssn = original.ssn {
            let digits = ssn.filter(\.isNumber)
            if digits.count >= 4 { person.ssnLast4 = String(digits.suffix(4)) }
        }
        out.person = person

        func keepE<T>(_ field: EventField, _ value: T?) -> T? { FieldMask.contains(e, field) ? value : nil }
        switch record.event {
        case .attendance(let a):
            out.event = .attendance(
                AttendanceDay(
                    schoolId: a.schoolId, schoolName: keepE(.schoolName, a.schoolName), grade: keepE(.grade, a.grade),
                    date: a.date, status: a.status, minutesAbsent: keepE(.minutesAbsent, a.minutesAbsent)))
        case .enrollment(let e):
            out.event = .enrollment(e)
        case .attendanceTotals(let t):
            out.event = .attendanceTotals(
                AttendanceTotals(
                    schoolId: t.schoolId, schoolName: keepE(.schoolName, t.schoolName), grade: keepE(.grade, t.grade),
                    asOf: t.asOf, daysAbsent: t.daysAbsent, daysEnrolled: t.daysEnrolled))
        case .shelterStay(let s):
            out.event = .shelterStay(
                ShelterStay(
                    enrollmentId: s.enrollmentId, projectId: s.projectId, projectType: s.projectType,
                    entryDate: s.entryDate, exitDate: keepE(.exitDate, s.exitDate),
                    moveInDate: keepE(.moveInDate, s.moveInDate),
                    exitDestination: keepE(.exitDestination, s.exitDestination)))
        case .bedNight(let b):
            out.event = .bedNight(b)
        case .booking(let b):
            out.event = .booking(
                Booking(
                    bookingNumber: b.bookingNumber, bookedAt: b.bookedAt, releasedAt: keepE(.releasedAt, b.releasedAt),
                    facility: keepE(.facility, b.facility), chargeCount: keepE(.chargeCount, b.chargeCount),
                    agency: keepE(.agency, b.agency)))
        case .housingStatus(let h):
            out.event = .housingStatus(
                HousingStatusEvent(
                    recordId: h.recordId, recordType: h.recordType, status: h.status, statusDate: h.statusDate,
                    program: keepE(.program, h.program), householdId: keepE(.householdId, h.householdId)))
        }
        return out
    }

    /// The label that decides a drop: built-in labels in their fixed order, then others alphabetically.
    private func firstLabel(_ labels: Set<RestrictionLabel>) -> RestrictionLabel? {
        guard !labels.isEmpty else { return nil }
        for rule in RestrictionRule.builtIn where labels.contains(rule.label) { return rule.label }
        return labels.min { $0.rawValue < $1.rawValue }
    }

    // MARK: Agreements

    enum AgreementRefusal {
        case missing, expired, notYetEffective, purposeNotCovered, recipientNotCovered

        var gate1Reason: ReasonCode {
            switch self {
            case .missing: .dropAgreementMissing
            case .expired: .dropAgreementExpired
            case .notYetEffective: .dropAgreementNotYetEffective
            case .purposeNotCovered, .recipientNotCovered: .dropAgreementPurposeNotCovered
            }
        }

        var gate2Reason: ReasonCode {
            switch self {
            case .missing: .denyAgreementMissing
            case .expired: .denyAgreementExpired
            case .notYetEffective: .denyAgreementNotYetEffective
            case .purposeNotCovered: .denyAgreementPurposeNotCovered
            case .recipientNotCovered: .denyAgreementRecipientNotCovered
            }
        }
    }

    enum AgreementOutcome {
        case inForce(AgreementPlan)
        case refused(AgreementRefusal, rule: String, explanation: String)
    }

    func resolveAgreement(
        source: String, category: DataCategory, purpose: PurposeOfUse, recipient: Recipient?, on date: CivilDate,
        agreementId: String? = nil
    ) -> AgreementOutcome {
        var inForce: AgreementPlan?
        var next: DataSharingAgreement?
        var last: DataSharingAgreement?
        for plan in plans
        where plan.agreement.category == category && plan.agreement.source == source
            && (agreementId == nil || plan.agreement.id == agreementId)
        {
            let a = plan.agreement
            if a.isInForce(on: date) {
                inForce = plan
                break
            }
            if a.effective > date {
                if next == nil || a.effective < next!.effective { next = a }
            } else if last == nil || a.expires > last!.expires {
                last = a
            }
        }
        guard let plan = inForce else {
            if let next {
                return .refused(
                    .notYetEffective, rule: "agreements[\(next.id)]",
                    explanation: "\(next.id) takes effect \(next.effective); none in force on \(date)")
            }
            if let last {
                return .refused(
                    .expired, rule: "agreements[\(last.id)]", explanation: "\(last.id) expired \(last.expires)")
            }
            if let agreementId {
                return .refused(
                    .missing, rule: "agreements",
                    explanation:
                        "the source config's agreement \(agreementId) is not a \(category.rawValue) agreement "
                        + "with \(source)"
                )
            }
            return .refused(
                .missing, rule: "agreements",
                explanation: "no agreement for source \(source) and category \(category.rawValue)")
        }
        let a = plan.agreement
        guard plan.purposes.contains(purpose) else {
            return .refused(
                .purposeNotCovered, rule: "agreements[\(a.id)].purposes",
                explanation: "\(a.id) does not permit purpose \(purpose.rawValue)")
        }
        if let recipient, a.recipientRoles.isDisjoint(with: recipient.roles) {
            return .refused(
                .recipientNotCovered, rule: "agreements[\(a.id)].recipient_roles",
                explanation: "\(a.id) permits recipient roles \(a.recipientRoles.sorted().joined(separator: ", ")) only"
            )
        }
        return .inForce(plan)
    }
}

/// Field sets as bits, so minimising a record tests bits instead of hashing field names.
enum FieldMask {
    static func of(_ fields: Set<PersonField>) -> UInt32 { fields.reduce(0) { $0 | $1.bit } }
    static func of(_ fields: Set<EventField>) -> UInt32 { fields.reduce(0) { $0 | $1.bit } }
    static func contains(_ mask: UInt32, _ field: PersonField) -> Bool { mask & field.bit != 0 }
    static func contains(_ mask: UInt32, _ field: EventField) -> Bool { mask & field.bit != 0 }
}
