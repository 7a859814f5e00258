import LastMileCore

extension ConsentGate {
    /// Gate 1 over a batch: returns the admitted, minimised records and counts every decision in `tally`.
    public func admitAll(
        _ records: some Sequence<SourceRecord>, purpose: PurposeOfUse, on date: CivilDate, tally: inout DecisionTally
    ) -> [SourceRecord] {
        var admitted: [SourceRecord] = []
        // Records are large: growing the array by doubling moved them all again each time (a quarter of gate 1).
        admitted.reserveCapacity(records.underestimatedCount)
        for record in records {
            let result = admit(record, purpose: purpose, on: date)
            tally.record(result.decision)
            if let kept = result.admitted { admitted.append(kept) }
        }
        return admitted
    }
}

extension ConsentRequest {
    /// The delivery question for one flag: may it go to `recipient` for `purpose` on `date`?
    public init(
        flag: Flag, purpose: PurposeOfUse = .treatment, recipient: Recipient?, date: CivilDate,
        patientBirthDate: CivilDate?
    ) {
        self.init(
            patientId: flag.patientId, category: flag.kind.category, source: flag.source, purpose: purpose,
            recipient: recipient, date: date, patientBirthDate: patientBirthDate)
    }
}

extension Recipient {
    /// Parses a CLI or CSV recipient token, adding `roles` to a `practice:<id>` (e.g. pediatrics for Monday lists).
    public init?(token: String, practiceRoles roles: Set<String>) {
        guard let actor = ConsentActor(token: token) else { return nil }
        switch actor {
        case .practice(let id): self.init(practiceId: id, roles: roles)
        case .role(let role): self.init(roles: [role])
        }
    }
}

/// A source config's reference to an agreement, for cross-checking against the policy.
public struct AgreementReference: Sendable, Hashable {
    /// The source config's name.
    public var source: String
    /// The `agreement:` id it names.
    public var agreementId: String
    /// The source config file, for problems.
    public var file: String
    /// The source's data category (`category:`), checked against the agreement's when given.
    public var category: DataCategory?
    /// Where the `agreement:` key sits in `file`.
    public var position: ConfigPosition?

    public init(
        source: String, agreementId: String, file: String, category: DataCategory? = nil,
        position: ConfigPosition? = nil
    ) {
        self.source = source
        self.agreementId = agreementId
        self.file = file
        self.category = category
        self.position = position
    }
}

extension ConsentPolicy {
    /// Problems with source configs' `agreement:` keys: an unknown id, an agreement signed with another source
    /// or for another category, and, when `date` is given, one not in force on that date.
    public func problems(with references: [AgreementReference], on date: CivilDate? = nil) -> [PolicyProblem] {
        references.compactMap { ref in
            func problem(_ message: String) -> PolicyProblem {
                PolicyProblem(file: ref.file, keyPath: "agreement", at: ref.position, message: message)
            }
            guard let a = agreement(id: ref.agreementId) else {
                let ids = agreements.filter { $0.source == ref.source }.map(\.id)
                let hint =
                    ids.isEmpty
                    ? "no agreement names source \(ref.source)" : "expected \(ids.joined(separator: " or "))"
                return problem("not in the consent policy; \(hint)")
            }
            guard a.source == ref.source else {
                return problem("\(a.id) is an agreement with source \(a.source), not \(ref.source)")
            }
            if let category = ref.category, a.category != category {
                return problem("\(a.id) covers \(a.category.rawValue) data, not \(category.rawValue)")
            }
            if let date, date > a.expires {
                return problem("\(a.id) expired \(a.expires) (the run is for \(date)); renew it in the consent policy")
            }
            if let date, date < a.effective {
                return problem("\(a.id) takes effect \(a.effective), after the run date \(date)")
            }
            return nil
        }
    }
}
