import Foundation
import LastMileCore

/// Both sides of a linkage run, normalised and encoded with one shared lexicon.
public final class MatchInputs: Sendable {
    public let lexicon: Lexicon
    /// The HIE's patients (the master patient index).
    public let mpi: EncodedPeople
    /// The people to link to them.
    public let incoming: EncodedPeople

    /// Normalises and encodes both lists on all cores.
    public init(mpi: [PersonIdentity], incoming: [PersonIdentity]) {
        var builder = LexiconBuilder()
        self.mpi = EncodedPeople(mpi, lexicon: &builder)
        self.incoming = EncodedPeople(incoming, lexicon: &builder)
        self.lexicon = builder.freeze()
    }

    /// Encodes `incoming` into the lexicon of an already encoded MPI (a kept index): the same ids, hence the same
    /// blocks and scores, as encoding both lists together.
    public init(mpi: EncodedPeople, lexicon builder: consuming LexiconBuilder, incoming: [PersonIdentity]) {
        var builder = builder
        self.mpi = mpi
        self.incoming = EncodedPeople(incoming, lexicon: &builder)
        self.lexicon = builder.freeze()
    }

    var comparer: PairComparer { PairComparer(lexicon: lexicon, left: incoming, right: mpi) }
}

/// Weights per field and level, ready for scoring; term-frequency weights per name id.
struct ScoringTables: Sendable {
    static let stride = 16
    static let fields = MatchField.allCases
    static let householdFields = MatchField.allCases.map(\.isHouseholdField)
    static let givenElse = MatchField.givenName.levelLabels.count - 1
    let weights: [Double]
    let householdWeights: [Double]
    let priorBits: Double
    let givenTF: [Float]
    let familyTF: [Float]
    let fieldsInModel: [Bool]
    let capsHouseholdEvidence: Bool
    /// log2(m/u) of street and postal code both exact (see `FellegiSunterModel.sameHome`).
    let sameHomeWeight: Double?

    init(model: FellegiSunterModel, lexicon: Lexicon, mpi: EncodedPeople) {
        let fields = MatchField.allCases
        var w = [Double](repeating: 0, count: fields.count * Self.stride)
        var hw = w
        var inModel = [Bool](repeating: false, count: fields.count)
        for c in model.comparisons {
            let f = c.field.ordinal
            inModel[f] = true
            for (l, level) in c.levels.enumerated() {
                w[f * Self.stride + l] = log2(level.m / level.u)
                hw[f * Self.stride + l] = log2(level.m / (level.uHousehold ?? level.u))
            }
        }
        weights = w
        householdWeights = hw
        fieldsInModel = inModel
        capsHouseholdEvidence = model.capsHouseholdEvidence
        sameHomeWeight = model.sameHome.map { log2($0.m / $0.u) }
        let lambda = model.probabilityTwoRandomRecordsMatch
        priorBits = log2(lambda / (1 - lambda))
        func tf(_ field: MatchField, _ column: [Int32]) -> [Float] {
            guard let c = model.comparison(field), c.termFrequencyAdjusted, mpi.count > 0 else { return [] }
            var counts = [Int32](repeating: 0, count: lexicon.count)
            for id in column where id >= 0 { counts[Int(id)] += 1 }
            let n = Double(column.filter { $0 >= 0 }.count)
            let m0 = c.levels[0].m
            let floorU = c.levels[0].u / 32
            return counts.map { $0 == 0 ? .nan : Float(log2(m0 / max(Double($0) / max(n, 1), floorU))) }
        }
        givenTF = tf(.givenName, mpi.records.map(\.given))
        familyTF = tf(.familyName, mpi.records.map(\.family))
    }

    /// Sum of field weights for a pair (without the prior), optionally explaining each term.
    @inline(__always)
    func weight(_ v: LevelVector, given: Int32, family: Int32, explain: UnsafeMutablePointer<[FieldWeight]>? = nil)
        -> Double
    {
        let household = v.isHousehold
        let g = v.level(PairComparer.given)
        let b = v.level(PairComparer.birth)
        // Relatives share address and phone; only given name and birth date tell them apart. When either
        // disagrees, agreement on a household field is no evidence of identity.
        let identityDisagrees = capsHouseholdEvidence && (g == Self.givenElse || (b != 15 && b >= 3))
        var total = 0.0
        // Address, city, postal code and phone agree together whenever people share a home, and disagree together
        // when a family moves, so with households in the data only the strongest of their agreements and the
        // strongest of their disagreements count.
        var bestHouseholdAgreement = 0.0
        var bestHouseholdIndex = -1
        var worstHouseholdDisagreement = 0.0
        var worstHouseholdIndex = -1
        for f in 0..<Self.fields.count where fieldsInModel[f] {
            let level = v.level(f)
            if level == 15 { continue }
            let field = Self.fields[f]
            let isHouseholdField = Self.householdFields[f]
            var w = (household && !isHouseholdField ? householdWeights : weights)[f * Self.stride + level]
            var note = ""
            if level == 0 && !household && !v.isSwapped {
                if f == PairComparer.given, !givenTF.isEmpty, given >= 0, !givenTF[Int(given)].isNaN {
                    w = Double(givenTF[Int(given)])
                    note = " (term frequency)"
                } else if f == PairComparer.family, !familyTF.isEmpty, family >= 0, !familyTF[Int(family)].isNaN {
                    w = Double(familyTF[Int(family)])
                    note = " (term frequency)"
                }
            }
            if household && !isHouseholdField
                && householdWeights[f * Self.stride + level] != weights[f * Self.stride + level]
            {
                note = " (household u)"
                // A relative shares a rare given name less often than the household u measured over all names
                // says: a rare exact given name counts more, scaled by its frequency like u outside a home. A
                // common one keeps the household u (scaling it down too lost true links of a common name at the
                // patient's home with a compound family name or a birth date a day off). A family name is shared
                // in a home by descent, whatever its frequency: no adjustment.
                if level == 0 && f == PairComparer.given && !v.isSwapped, !givenTF.isEmpty, given >= 0,
                    !givenTF[Int(given)].isNaN
                {
                    let rare =
                        Double(givenTF[Int(given)]) - (weights[f * Self.stride] - householdWeights[f * Self.stride])
                    if rare > w {
                        w = rare
                        note = " (household u, term frequency)"
                    }
                }
            }
            if isHouseholdField && identityDisagrees && w > 0 {
                w = 0
                note = " (capped: given name or birth date disagrees)"
            }
            if v.isSwapped && (f == PairComparer.given || f == PairComparer.family) { note += " (names swapped)" }
            if capsHouseholdEvidence && isHouseholdField && w > 0 {
                if w > bestHouseholdAgreement {
                    if bestHouseholdIndex >= 0 { Self.overlap(explain, bestHouseholdIndex) }
                    total += w - bestHouseholdAgreement
                    bestHouseholdAgreement = w
                    bestHouseholdIndex = explain?.pointee.count ?? 0
                } else {
                    note += " (overlaps a stronger address/phone agreement)"
                    w = 0
                }
                explain?.pointee.append(
                    FieldWeight(field: field.rawValue, level: field.levelLabels[level] + note, weight: w))
                continue
            }
            if capsHouseholdEvidence && isHouseholdField && w < 0 {
                if w < worstHouseholdDisagreement {
                    if worstHouseholdIndex >= 0 { Self.overlap(explain, worstHouseholdIndex, moved: true) }
                    total += w - worstHouseholdDisagreement
                    worstHouseholdDisagreement = w
                    worstHouseholdIndex = explain?.pointee.count ?? 0
                } else {
                    note += Self.movedNote
                    w = 0
                }
                explain?.pointee.append(
                    FieldWeight(field: field.rawValue, level: field.levelLabels[level] + note, weight: w))
                continue
            }
            total += w
            explain?.pointee.append(
                FieldWeight(field: field.rawValue, level: field.levelLabels[level] + note, weight: w))
        }
        // Street and postal code both exact are one home: where street names repeat across towns that is rarer
        // than either agreement alone, and counts instead of the strongest of them.
        if capsHouseholdEvidence, !identityDisagrees, let home = sameHomeWeight, home > bestHouseholdAgreement,
            v.level(PairComparer.streetF) == 0, v.level(PairComparer.postalF) == 0
        {
            if bestHouseholdIndex >= 0 { Self.overlap(explain, bestHouseholdIndex) }
            total += home - bestHouseholdAgreement
            explain?.pointee.append(FieldWeight(field: "home", level: "street and postal code exact", weight: home))
        }
        return total
    }

    static let movedNote = " (overlaps a stronger address/phone disagreement: a move changes them together)"

    /// Marks an explained household field as superseded by a stronger agreement (or disagreement, `moved`).
    static func overlap(_ explain: UnsafeMutablePointer<[FieldWeight]>?, _ k: Int, moved: Bool = false) {
        guard let explain else { return }
        explain.pointee[k].level += moved ? movedNote : " (overlaps a stronger address/phone agreement)"
        explain.pointee[k].weight = 0
    }

    @inline(__always)
    func probability(bits: Double) -> Double { 1 / (1 + exp2(-(bits + priorBits))) }
}

/// Why a decision came out as it did.
public enum DecisionReason: String, Sendable, Hashable, Codable {
    case noCandidate = "no-candidate"
    case belowReviewThreshold = "below-review-threshold"
    case belowMatchThreshold = "below-match-threshold"
    /// Another patient scored within the tie margin.
    case nearTie = "near-tie"
    /// Another incoming record that does not look like the same person (a twin, a parent or child) claims the
    /// same patient, and no claim beats the others by the tie margin (see `Linker.resolveContestedPatients`).
    case contestedPatient = "contested-patient"
    /// The pair shares an address or phone and neither given name with birth date, nor the SSN, tells the
    /// person from a relative (see `Linker.householdIdentityIsClear`).
    case householdIdentityUnclear = "household-identity-unclear"
    case aboveMatchThreshold = "above-match-threshold"
}

/// The verdict on one incoming record, with its best and runner-up candidates (positions in the inputs).
public struct LinkDecision: Sendable, Hashable {
    public var incoming: Int
    public var decision: MatchDecision
    public var reason: DecisionReason
    /// Position of the best candidate in the MPI; nil when there was none.
    public var mpi: Int?
    public var probability: Double
    /// log2 Bayes factor of the best candidate (without the prior).
    public var matchWeight: Double
    public var runnerUp: Int?
    public var runnerUpProbability: Double?
    /// Blocking rules (bits in `BlockingRule.allCases` order) under which the best pair shares a key.
    var rulesMask: UInt32
}

/// The outcome of linking every incoming record.
public struct LinkRun: Sendable {
    /// One decision per incoming record, in input order.
    public var decisions: [LinkDecision]
    public var blocking: BlockingReport
}

/// One pair's score, field by field, for `lastmile match explain`.
public struct PairExplanation: Sendable {
    /// Per-field weights in model order; the level labels say how the values compared, never the values.
    public var fields: [FieldWeight]
    /// log2 prior odds.
    public var priorWeight: Double
    public var totalWeight: Double
    public var probability: Double
    /// The pair shares an address or phone, so identity fields used household u.
    public var sharesHousehold: Bool
}

/// Scores candidate pairs with a Fellegi–Sunter model and decides match, review or no match per incoming record.
public final class Linker: Sendable {
    public let model: FellegiSunterModel
    public let inputs: MatchInputs
    public let index: BlockingIndex
    let tables: ScoringTables
    /// MPI positions each incoming record (by position) must never be linked to: a reviewer rejected the pair,
    /// or a practice reported the link as the wrong person. They are not scored, so a runner-up may take over.
    public let neverLink: [Int: Set<Int32>]

    public convenience init(
        model: FellegiSunterModel, inputs: MatchInputs, maxBlockSize: Int = 5000, neverLink: [Int: Set<Int32>] = [:]
    ) {
        self.init(
            model: model, inputs: inputs,
            index: BlockingIndex(mpi: inputs.mpi, lexicon: inputs.lexicon, maxBlockSize: maxBlockSize),
            neverLink: neverLink)
    }

    /// A linker over an MPI blocking index built before (a kept index), which must index `inputs.mpi`.
    public init(model: FellegiSunterModel, inputs: MatchInputs, index: BlockingIndex, neverLink: [Int: Set<Int32>]) {
        self.model = model
        self.inputs = inputs
        self.neverLink = neverLink
        self.index = index
        self.tables = ScoringTables(model: model, lexicon: inputs.lexicon, mpi: inputs.mpi)
    }

    struct Scored: Sendable {
        var best: Int32 = -1
        var bestWeight = -Double.infinity
        var second: Int32 = -1
        var secondWeight = -Double.infinity
        var bestLevels = LevelVector.allNull
    }

    struct ChunkOutput: Sendable {
        var scored: [Scored]
        var pairsByRule: [Int]
        var uniquePairs: Int
        var skipped: Int
    }

    /// Scores every incoming record against its candidates (on all cores) and makes the decisions.
    public func link() -> LinkRun {
        let nIn = inputs.incoming.count
        let outputs = Parallel.map(count: nIn, chunkSize: Self.chunkSize(nIn)) { range in [self.score(range)] }
        return decide(outputs, incoming: 0..<nIn)
    }

    /// Links only the incoming records at the positions `subset`, as if they were all the inputs held: a patient
    /// two of them claim is contested among them only. The decisions name positions in the inputs. One linker
    /// (one MPI index) then serves several groups of incoming records, e.g. a night's sources one by one.
    public func link(only subset: [Int]) -> LinkRun {
        let outputs = Parallel.map(count: subset.count, chunkSize: Self.chunkSize(subset.count)) { range in
            [self.score(subset[range])]
        }
        return decide(outputs, incoming: subset)
    }

    private static func chunkSize(_ count: Int) -> Int { max(256, min(8192, count / (Parallel.workers * 16) + 1)) }

    /// The decisions for the scored chunks of the incoming positions `positions`, in order.
    private func decide(_ outputs: [ChunkOutput], incoming positions: some Collection<Int>) -> LinkRun {
        var scored: [Scored] = []
        scored.reserveCapacity(positions.count)
        var pairsByRule = [Int](repeating: 0, count: index.rules.count)
        var unique = 0
        var skipped = 0
        for o in outputs {
            scored.append(contentsOf: o.scored)
            for r in 0..<pairsByRule.count { pairsByRule[r] += o.pairsByRule[r] }
            unique += o.uniquePairs
            skipped += o.skipped
        }
        var decisions = zip(positions, scored).map { decide($0, $1) }
        resolveContestedPatients(&decisions)
        var report = BlockingReport(
            candidatePairs: unique,
            pairsByRule: Dictionary(uniqueKeysWithValues: zip(index.rules, pairsByRule)),
            skippedBlocks: skipped, estimatedRecall: nil, recallByRule: [:])
        estimateRecall(decisions, into: &report)
        return LinkRun(decisions: decisions, blocking: report)
    }

    func score(_ range: some Collection<Int>) -> ChunkOutput {
        let lex = inputs.lexicon
        let incoming = inputs.incoming
        let comparer = inputs.comparer
        var stamp = [Int32](repeating: -1, count: inputs.mpi.count)
        var candidates: [Int32] = []
        var out: [Scored] = []
        out.reserveCapacity(range.count)
        var pairsByRule = [Int](repeating: 0, count: index.rules.count)
        var unique = 0
        var skipped = 0
        for i in range {
            candidates.removeAll(keepingCapacity: true)
            for (r, rule) in index.rules.enumerated() {
                guard let key = rule.key(incoming, i, lex) else { continue }
                let block = index.block(r, key)
                if rule.mayBeCapped && block.count > rule.cap(index.maxBlockSize) {
                    skipped += 1
                    continue
                }
                pairsByRule[r] += block.count
                index.members[r].withUnsafeBufferPointer { m in
                    for k in block {
                        let j = m[k]
                        if stamp[Int(j)] != Int32(i) {
                            stamp[Int(j)] = Int32(i)
                            candidates.append(j)
                        }
                    }
                }
            }
            unique += candidates.count
            var s = Scored()
            let forbidden = neverLink[i]
            for j in candidates {
                if let forbidden, forbidden.contains(j) { continue }
                let v = comparer.levels(i, Int(j))
                let w = tables.weight(v, given: incoming.records[i].given, family: incoming.records[i].family)
                if w > s.bestWeight || (w == s.bestWeight && j < s.best) {
                    s.second = s.best
                    s.secondWeight = s.bestWeight
                    s.best = j
                    s.bestWeight = w
                    s.bestLevels = v
                } else if w > s.secondWeight || (w == s.secondWeight && j < s.second) {
                    s.second = j
                    s.secondWeight = w
                }
            }
            out.append(s)
        }
        return ChunkOutput(scored: out, pairsByRule: pairsByRule, uniquePairs: unique, skipped: skipped)
    }

    /// The MPI positions blocking brings together with incoming record `i`, each once.
    func candidates(_ i: Int) -> [Int32] {
        var seen = Set<Int32>()
        var out: [Int32] = []
        for (r, rule) in index.rules.enumerated() {
            guard let key = rule.key(inputs.incoming, i, inputs.lexicon) else { continue }
            let block = index.block(r, key)
            if rule.mayBeCapped && block.count > rule.cap(index.maxBlockSize) { continue }
            for k in block where seen.insert(index.members[r][k]).inserted { out.append(index.members[r][k]) }
        }
        return out
    }

    func decide(_ i: Int, _ s: Scored) -> LinkDecision {
        guard s.best >= 0 else {
            return LinkDecision(
                incoming: i, decision: .noMatch, reason: .noCandidate, mpi: nil, probability: 0,
                matchWeight: -.infinity,
                runnerUp: nil, runnerUpProbability: nil, rulesMask: 0)
        }
        let t = model.thresholds
        let p = tables.probability(bits: s.bestWeight)
        let p2 = s.second >= 0 ? tables.probability(bits: s.secondWeight) : nil
        var mask: UInt32 = 0
        for (r, rule) in index.rules.enumerated() {
            if let a = rule.key(inputs.incoming, i, inputs.lexicon),
                a == rule.key(inputs.mpi, Int(s.best), inputs.lexicon)
            {
                mask |= 1 << UInt32(r)
            }
        }
        let decision: MatchDecision
        let reason: DecisionReason
        if p < t.review {
            (decision, reason) = (.noMatch, .belowReviewThreshold)
        } else if let p2, p2 >= t.review, s.bestWeight - s.secondWeight < t.tieMarginBits {
            (decision, reason) = (.review, .nearTie)
        } else if p >= t.match && tables.capsHouseholdEvidence && s.bestLevels.isHousehold
            && !householdIdentityIsClear(s, incoming: i)
        {
            // In a shared home only given name and birth date tell relatives apart: both must agree closely.
            (decision, reason) = (.review, .householdIdentityUnclear)
        } else if p >= t.match {
            (decision, reason) = (.match, .aboveMatchThreshold)
        } else {
            (decision, reason) = (.review, .belowMatchThreshold)
        }
        return LinkDecision(
            incoming: i, decision: decision, reason: reason, mpi: Int(s.best), probability: p,
            matchWeight: s.bestWeight,
            runnerUp: s.second >= 0 ? Int(s.second) : nil, runnerUpProbability: p2, rulesMask: mask)
    }

    /// Whether a pair sharing a home is told apart from the relatives it lives with: given name and birth date
    /// both agree closely; or the birth date agrees exactly, the given name is similar (a typo beyond one edit,
    /// the same NYSIIS) and neither sex nor generational suffix conflicts (a twin has the birth date, not the
    /// name); or the birth date agrees exactly, the given name is only an initial of the other and sex agrees; or
    /// the full SSN agrees (and not both name and date disagree); or the birth date is missing, the
    /// given name agrees exactly (or as a nickname, or within one typo when sex agrees) and no generational
    /// suffixes conflict.
    func householdIdentityIsClear(_ s: Scored, incoming i: Int) -> Bool {
        Self.identityIsClear(s.bestLevels, inputs.incoming.records[i].suffix, inputs.mpi.records[Int(s.best)].suffix)
    }

    /// `householdIdentityIsClear` for any pair: its levels and both generational suffix codes (0 when none).
    static func identityIsClear(_ v: LevelVector, _ suffixA: UInt8, _ suffixB: UInt8) -> Bool {
        let g = v.level(PairComparer.given)
        let b = v.level(PairComparer.birth)
        if g <= 2 && b <= 2 { return true }
        if v.level(PairComparer.ssnF) == 0 && !(g == ScoringTables.givenElse && b != 15 && b >= 3) { return true }
        guard !suffixesConflict(suffixA, suffixB) else { return false }
        let sexAgrees = v.level(PairComparer.sexF) == 0
        if b == 0 && g <= 3 && v.level(PairComparer.sexF) != 1 { return true }
        // Only an initial (or a short prefix): the exact birth date and an agreeing sex. A twin sharing the
        // initial who is a patient too scores the same against the record, so the pair goes to review as a tie.
        if b == 0 && g == 4 && sexAgrees { return true }
        return b == 15 && (g <= 1 || (g == 2 && sexAgrees))
    }

    /// Both records carry a generational suffix and they differ (JR against SR, II against III).
    static func suffixesConflict(_ a: UInt8, _ b: UInt8) -> Bool { a != 0 && b != 0 && a != b }

    func estimateRecall(_ decisions: [LinkDecision], into report: inout BlockingReport) {
        let links = decisions.filter { $0.decision == .match }
        guard !links.isEmpty else { return }
        var missProduct = 1.0
        for (r, rule) in index.rules.enumerated() {
            let bit: UInt32 = 1 << UInt32(r)
            let others = links.filter { $0.rulesMask & ~bit != 0 }
            guard !others.isEmpty else { continue }
            let recall = Double(others.filter { $0.rulesMask & bit != 0 }.count) / Double(others.count)
            report.recallByRule[rule] = recall
            missProduct *= 1 - recall
        }
        report.estimatedRecall = 1 - missProduct
    }

    /// The field-by-field weights of one pair (positions in the inputs).
    public func explain(incoming i: Int, mpi j: Int) -> PairExplanation {
        let v = inputs.comparer.levels(i, j)
        var fields: [FieldWeight] = []
        let w = withUnsafeMutablePointer(to: &fields) {
            tables.weight(
                v, given: inputs.incoming.records[i].given, family: inputs.incoming.records[i].family, explain: $0)
        }
        return PairExplanation(
            fields: fields, priorWeight: tables.priorBits, totalWeight: w + tables.priorBits,
            probability: tables.probability(bits: w), sharesHousehold: v.isHousehold)
    }
}

extension LinkDecision {
    /// The core `MatchResult`, with patient ids looked up by position.
    public func matchResult(mpiIds: [String], fieldWeights: [FieldWeight] = []) -> MatchResult {
        MatchResult(
            decision: decision, patientId: mpi.map { mpiIds[$0] }, probability: probability, fieldWeights: fieldWeights)
    }
}
