/// Many-to-one linking: an MPI is de-duplicated, an incoming file is not. A client entered twice in a shelter's
/// HMIS, a student under two ids, a booking and a re-booking all claim one patient, and all of them should link
/// to it. Records that claim one patient but do not look like one person (twins, a parent and a child) contest it.
extension Linker {
    /// Above this many claims on one patient the pairwise comparison of claimants is skipped and the claimants
    /// are treated as disagreeing: no file of real people holds one person hundreds of times.
    static let maxClaimsCompared = 256

    /// Decides, per patient claimed by several auto-links, which claims keep it.
    ///
    /// The claimants are compared with each other (the same comparators and weights as against the MPI) and
    /// gathered into groups of records that agree (connected components of `ClaimRelation.agree`). A group in
    /// which no pair conflicts is one person; all its records link. When several groups claim the patient,
    /// the group with the strongest claim keeps it only if that claim beats every other group's by the tie
    /// margin; the other groups, and any group whose members do not all agree, go to review as contested.
    /// The outcome does not depend on the order of the incoming records.
    func resolveContestedPatients(_ decisions: inout [LinkDecision]) {
        var byPatient: [Int: [Int]] = [:]
        for (k, d) in decisions.enumerated() where d.decision == .match {
            guard let patient = d.mpi else { continue }
            byPatient[patient, default: []].append(k)
        }
        let comparer = PairComparer(lexicon: inputs.lexicon, left: inputs.incoming, right: inputs.incoming)
        for (_, claims) in byPatient where claims.count > 1 {
            let groups = agreeingGroups(claims, decisions, comparer)
            for (n, group) in groups.enumerated() {
                let keepsIt = n == 0 && group.isOnePerson && (groups.count == 1 || wins(group, over: groups[1]))
                guard !keepsIt else { continue }
                for k in group.members {
                    decisions[k].decision = .review
                    decisions[k].reason = .contestedPatient
                }
            }
        }
    }

    /// Incoming records (positions in `decisions`) that claim one patient and are linked by agreement.
    struct ClaimGroup {
        var members: [Int]
        /// The strongest match weight among the members.
        var bestWeight: Double
        /// No pair of members conflicts (members are chained by agreement, not every pair need agree).
        var isOnePerson: Bool
        /// The members' positions in the list of claims (for the pairwise relations).
        var local: [Int]
    }

    /// Groups the claims on one patient by pairwise agreement, strongest group first.
    func agreeingGroups(_ claims: [Int], _ decisions: [LinkDecision], _ comparer: PairComparer) -> [ClaimGroup] {
        let n = claims.count
        var related = [ClaimRelation](repeating: .conflict, count: n * n)
        var root = Array(0..<n)
        func find(_ x: Int) -> Int {
            var x = x
            while root[x] != x { x = root[x] }
            return x
        }
        if n <= Self.maxClaimsCompared {
            for a in 0..<n {
                for b in (a + 1)..<n {
                    // Claims are indices into `decisions`; the records are compared by their input positions.
                    let r = relation(
                        decisions[claims[a]].incoming, decisions[claims[b]].incoming, comparer,
                        patient: decisions[claims[a]].mpi)
                    related[a * n + b] = r
                    related[b * n + a] = r
                    guard r == .agree else { continue }
                    let (ra, rb) = (find(a), find(b))
                    root[max(ra, rb)] = min(ra, rb)
                }
            }
        }
        var membersByRoot: [Int: [Int]] = [:]
        for a in 0..<n { membersByRoot[find(a), default: []].append(a) }
        let groups = membersByRoot.values.map { local in
            let noConflict = local.allSatisfy { a in local.allSatisfy { a == $0 || related[a * n + $0] != .conflict } }
            return ClaimGroup(
                members: local.map { claims[$0] },
                bestWeight: local.map { decisions[claims[$0]].matchWeight }.max() ?? -.infinity,
                isOnePerson: noConflict, local: local)
        }
        // Ties in weight are broken by the smallest incoming position only to fix the order of the list; a tie
        // never wins (see `wins`), so which group comes first among equals does not change a decision.
        let sorted = groups.sorted {
            $0.bestWeight != $1.bestWeight
                ? $0.bestWeight > $1.bestWeight : ($0.members.min() ?? 0) < ($1.members.min() ?? 0)
        }
        return Self.joiningCompatible(sorted) { a, b in related[a * n + b] != .conflict }
    }

    /// Joins into the strongest group every other one-person group that conflicts with none of its members.
    ///
    /// Two copies of one person with different typos of the given name (JW 0.80–0.92) are `compatible`, not
    /// `agree`: each reached the match threshold against the patient on its own and nothing says they are two
    /// people, so they are one claim. Groups with a conflict (a twin, a junior) stay apart and contest.
    static func joiningCompatible(_ groups: [ClaimGroup], compatible: (Int, Int) -> Bool) -> [ClaimGroup] {
        guard var first = groups.first, first.isOnePerson else { return groups }
        var rest: [ClaimGroup] = []
        for g in groups.dropFirst() {
            if g.isOnePerson && g.local.allSatisfy({ a in first.local.allSatisfy { compatible(a, $0) } }) {
                first.members += g.members
                first.local += g.local
            } else {
                rest.append(g)
            }
        }
        return [first] + rest
    }

    /// Whether the strongest group's claim beats the runner-up group's by the tie margin (and not by zero).
    func wins(_ best: ClaimGroup, over next: ClaimGroup) -> Bool {
        let margin = best.bestWeight - next.bestWeight
        return margin > 0 && margin >= model.thresholds.tieMarginBits
    }

    /// How two incoming records that claim one patient compare with each other.
    enum ClaimRelation {
        /// They look like one person: compared with each other as a pair would be against the MPI, they reach
        /// the match threshold; their given names agree closely (exact, nickname, Jaro–Winkler ≥ 0.92 or one
        /// edit); and, when they share an address or phone, the household identity rule tells them from a
        /// relative.
        case agree
        /// Not close enough to tell on their own (two different typos of one name), but nothing contradicts.
        case compatible
        /// Different people: given names disagree (twins), or birth dates (a parent and a child), sex, SSN or
        /// generational suffixes (JR against SR) do, and on that field at least one of the two is not close to
        /// the patient (two typos of one birth date, each one component from the patient's, are no conflict).
        case conflict
    }

    /// Compares incoming records `a` and `b` (positions in the inputs) that both claim MPI record `patient`.
    func relation(_ a: Int, _ b: Int, _ comparer: PairComparer, patient: Int? = nil) -> ClaimRelation {
        let records = inputs.incoming.records
        let v = comparer.levels(a, b)
        let given = v.level(PairComparer.given)
        let birth = v.level(PairComparer.birth)
        // A disagreement between two claimants is explained by corruption, not by two people, when both are close
        // to the patient on that field (JENNY and HENNIFER both close to JENNIFER); a twin or a junior is not.
        let toPatientA = patient.map { inputs.comparer.levels(a, $0) }
        let toPatientB = patient.map { inputs.comparer.levels(b, $0) }
        func bothClose(_ field: Int, within maxLevel: Int) -> Bool {
            guard let va = toPatientA, let vb = toPatientB else { return false }
            return va.level(field) <= maxLevel && vb.level(field) <= maxLevel
        }
        let givenConflict = given == ScoringTables.givenElse && !bothClose(PairComparer.given, within: 2)
        let birthConflict = birth != 15 && birth > 2 && !bothClose(PairComparer.birth, within: 2)
        let sexConflict = v.level(PairComparer.sexF) == 1 && !bothClose(PairComparer.sexF, within: 0)
        let ssnConflict =
            v.level(PairComparer.ssnF) == MatchField.ssn.elseLevel && !bothClose(PairComparer.ssnF, within: 1)
        guard !givenConflict, !birthConflict, !sexConflict, !ssnConflict,
            !Self.suffixesConflict(records[a].suffix, records[b].suffix)
        else { return .conflict }
        guard given <= 2, birth == 15 || birth <= 2 else { return .compatible }
        if tables.capsHouseholdEvidence && v.isHousehold
            && !Self.identityIsClear(v, records[a].suffix, records[b].suffix)
        {
            return .compatible
        }
        let weight = tables.weight(v, given: records[a].given, family: records[a].family)
        return tables.probability(bits: weight) >= model.thresholds.match ? .agree : .compatible
    }
}
