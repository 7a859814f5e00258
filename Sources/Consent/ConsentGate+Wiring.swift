import LastMileCore

extension ConsentGate {
    /// Gate 1 over a batch: returns the admitted, minimised records and counts every decision in `tally`.
    public func admitAll(
        _ records: some Sequence<SourceRecord>, purpose: PurposeOfUse, on date: CivilDate, tally: inout DecisionTally
    ) -> [SourceRecord] {
        var admitted: [SourceRecord] = []
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

    public init(source: String, agreementId: String, file: String) {
        self.source = source
        self.agreementId = agreementId
        self.file = file
    }
}

extension ConsentPolicy {
    /// Problems with source configs' `agreement:` keys: an unknown id, or an agreement signed with another source.
    public func problems(with references: [AgreementReference]) -> [PolicyProblem] {
        references.compactMap { ref in
            guard let a = agreement(id: ref.agreementId) else {
                let ids = agreements.filter { $0.source == ref.source }.map(\.id)
                let hint =
                    ids.isEmpty
                    ? "no agreement names source \(ref.source)" : "expected \(ids.joined(separator: " or "))"
                return PolicyProblem(
                    file: ref.file, keyPath: "agreement", message: "not in the consent policy; \(hint)")
            }
            guard a.source == ref.source else {
                return PolicyProblem(
                    file: ref.file, keyPath: "agreement",
                    message: "\(a.id) is an agreement with source \(a.source), not \(ref.source)")
            }
            return nil
        }
    }
}
