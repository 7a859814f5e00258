import LastMileCore

extension ConsentGate {
    // MARK: Gate 2 and delivery

    /// Gate 2 and delivery: decides whether the patient's data of one category and source may flow.
    ///
    /// Order: the source agreement (in force, purpose, recipient role at delivery); the minors' protected
    /// categories rule; then the patient's directives — only active ones within their period and from an
    /// accepted grantor; a newer one of the same scope supersedes an older; within each, nested provisions
    /// are exceptions; any deny wins, else a permit; else the default (agreement requiring a permit or
    /// opt-in: deny; opt-out: permit). `directives` may hold other patients' directives; they are ignored.
    public func evaluate(_ request: ConsentRequest, directives: [ConsentDirective]) -> ConsentDecision {
        var trace = Trace(enabled: false)
        return evaluate(request, directives: directives, trace: &trace)
    }

    /// Gate 2 for a matcher verdict: only a `match` with a patient id is evaluated; review and no-match stop.
    public func evaluate(
        _ match: MatchResult, category: DataCategory, source: String, purpose: PurposeOfUse = .treatment,
        on date: CivilDate, patientBirthDate: CivilDate?, directives: [ConsentDirective]
    ) -> ConsentDecision {
        guard match.decision == .match, let patientId = match.patientId else {
            let review = match.decision == .review
            return ConsentDecision(
                reason: review ? .denyReviewPending : .denyNotMatched, rule: "matching",
                explanation: review
                    ? "match awaits review; no flag until a person decides" : "no patient matched; nothing to load")
        }
        let request = ConsentRequest(
            patientId: patientId, category: category, source: source, purpose: purpose, recipient: nil, date: date,
            patientBirthDate: patientBirthDate)
        return evaluate(request, directives: directives)
    }

    /// Human-readable lines saying which agreement, rule and directive decide, and why, for each source.
    ///
    /// With `source` nil every agreement's source and category is explained. Lines name directive ids,
    /// agreement ids and rules only; the caller prints the patient id it was given if it wants to.
    public func explain(
        patientId: String, directives: [ConsentDirective], patientBirthDate: CivilDate?, source: String? = nil,
        recipient: Recipient? = nil, purpose: PurposeOfUse = .treatment, on date: CivilDate
    ) -> [String] {
        var lines = [
            "consent model: \(policy.model.rawValue); date \(date); purpose \(purpose.rawValue); "
                + "recipient \(recipient?.description ?? "(warehouse load)")"
        ]
        var pairs: [(String, DataCategory)] = []
        for a in policy.agreements where source == nil || a.source == source {
            if !pairs.contains(where: { $0.0 == a.source && $0.1 == a.category }) {
                pairs.append((a.source, a.category))
            }
        }
        if pairs.isEmpty, let source {
            lines.append(
                "source \(source): \(ReasonCode.denyAgreementMissing.rawValue): no agreement names this source")
            return lines
        }
        for (src, category) in pairs {
            lines.append("source \(src), category \(category.rawValue):")
            let request = ConsentRequest(
                patientId: patientId, category: category, source: src, purpose: purpose, recipient: recipient,
                date: date, patientBirthDate: patientBirthDate)
            var trace = Trace(enabled: true)
            let decision = evaluate(request, directives: directives, trace: &trace)
            lines += trace.lines.map { "  " + $0 }
            lines.append("  => \(decision.reason.rawValue): \(decision.explanation)")
        }
        return lines
    }

    struct Trace {
        let enabled: Bool
        var lines: [String] = []
        mutating func note(_ line: @autoclosure () -> String) { if enabled { lines.append(line()) } }
    }

    func evaluate(_ request: ConsentRequest, directives: [ConsentDirective], trace: inout Trace) -> ConsentDecision {
        let agreement: DataSharingAgreement
        switch resolveAgreement(
            source: request.source, category: request.category, purpose: request.purpose,
            recipient: request.recipient, on: request.date)
        {
        case .inForce(let plan):
            let a = plan.agreement
            agreement = a
            trace.note("agreement \(a.id) in force (\(a.legalBasis)), covers \(request.purpose.rawValue)")
        case .refused(let refusal, let rule, let text):
            return ConsentDecision(reason: refusal.gate2Reason, rule: rule, explanation: text)
        }

        let minors = policy.minors
        let age = request.patientAge
        let minorOrUnknown = age.map { $0 < minors.ageOfMajority } ?? true
        let adultOrUnknown = age.map { $0 >= minors.ageOfMajority } ?? true
        if minors.adolescentProtectedCategories.contains(request.category), minorOrUnknown,
            let recipient = request.recipient, !recipient.roles.isDisjoint(with: minors.parentFacingRoles)
        {
            return ConsentDecision(
                reason: .denyMinorProtectedCategory, rule: "minors.adolescent_protected_categories",
                explanation:
                    "\(request.category.rawValue) data of a minor (or of unknown age) "
                    + "never goes to a parent-facing recipient"
            )
        }

        // Directives in force, from accepted grantors.
        let guardians = policy.guardians
        var inForce: [ConsentDirective] = []
        for d in directives where d.patientId == request.patientId {
            if d.status != .active {
                trace.note("directive \(d.id): ignored, status \(d.status.rawValue)")
            } else if let period = d.provision.period, !period.contains(request.date) {
                let when = period.start.map { request.date < $0 } == true ? "not yet effective" : "expired"
                trace.note("directive \(d.id): ignored, \(when) (period \(period))")
            } else if !guardians.acceptedGrantorRoles.contains(d.grantorRole) {
                trace.note(
                    "directive \(d.id): ignored, grantor role \(d.grantorRole.rawValue) not accepted "
                        + "(guardians.accepted_grantor_roles)"
                )
            } else {
                inForce.append(d)
            }
        }
        let parentalLapses = minors.parentalAuthorityEndsAtMajority.contains(request.category) && adultOrUnknown
        func lapsed(_ d: ConsentDirective) -> Bool { parentalLapses && d.grantorRole.isParental }

        // Supersession within equal scopes.
        var remaining: [ConsentDirective] = []
        for d in inForce {
            let scope = d.provision.scope
            let newer = inForce.first { e in
                e.recorded > d.recorded && !lapsed(e) && e.provision.scope == scope
                    && (!guardians.courtOrdersFinal || d.grantorRole != .court || e.grantorRole == .court)
            }
            if let newer {
                trace.note("directive \(d.id): superseded by newer directive \(newer.id) of the same scope")
            } else {
                remaining.append(d)
            }
        }

        // Effects, nested provisions applied.
        var denies: [String] = []
        var permits: [String] = []
        var lapsedPermits: [String] = []
        for d in remaining {
            guard let effect = d.provision.effect(request) else {
                trace.note(
                    "directive \(d.id): does not cover this "
                        + "(\(d.provision.mismatch(request) ?? "no provision applies"))"
                )
                continue
            }
            if effect == .permit, lapsed(d) {
                lapsedPermits.append(d.id)
                trace.note(
                    "directive \(d.id): a \(d.grantorRole.rawValue)'s permit, no longer valid at the age of majority "
                        + "(minors.parental_authority_ends_at_majority)"
                )
                continue
            }
            trace.note(
                "directive \(d.id): \(effect == .deny ? "denies" : "permits") "
                    + "(\(d.grantorRole.rawValue), recorded \(d.recorded))"
            )
            if effect == .deny { denies.append(d.id) } else { permits.append(d.id) }
        }
        if !denies.isEmpty {
            denies.sort()
            return ConsentDecision(
                reason: .denyDirective, directiveIds: denies, rule: "directives",
                explanation: "denied by directive \(denies.joined(separator: ", ")); a deny overrides any permit")
        }
        if !permits.isEmpty {
            permits.sort()
            return ConsentDecision(
                reason: .permitDirective, directiveIds: permits, rule: "directives",
                explanation: "permitted by directive \(permits.joined(separator: ", "))")
        }
        lapsedPermits.sort()
        let defaultDenies = agreement.patientPermitRequired || policy.model == .optIn
        if defaultDenies, !lapsedPermits.isEmpty {
            return ConsentDecision(
                reason: .denyMinorParentalExpired, directiveIds: lapsedPermits,
                rule: "minors.parental_authority_ends_at_majority",
                explanation:
                    "the only permit (\(lapsedPermits.joined(separator: ", "))) came from a parent or guardian "
                    + "and ended at \(minors.ageOfMajority); the patient's own permit is needed"
            )
        }
        if agreement.patientPermitRequired {
            return ConsentDecision(
                reason: .denyAgreementRequiresPermit, rule: "agreements[\(agreement.id)].patient_permit_required",
                explanation: "\(agreement.id) requires the patient's permit and none applies")
        }
        switch policy.model {
        case .optIn:
            return ConsentDecision(
                reason: .denyDefaultOptIn, rule: "model",
                explanation: "opt-in HIE and no directive permits this")
        case .optOut:
            return ConsentDecision(
                reason: .permitDefaultOptOut, rule: "model",
                explanation: "opt-out HIE and no directive denies this")
        }
    }
}
