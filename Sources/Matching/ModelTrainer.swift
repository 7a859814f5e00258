import Foundation
import LastMileCore

/// How much data training looks at.
public struct TrainingOptions: Sendable {
    /// Random (incoming, MPI) pairs drawn to estimate u.
    public var randomPairs = 5_000_000
    /// At most this many incoming records (evenly spaced) feed each EM session.
    public var maxIncomingForEM = 100_000
    public var maxEMIterations = 60
    /// Seed of the random pair sampler: the same inputs and seed give the same model.
    public var seed: UInt64 = 20_261_124
    public var thresholds = DecisionThresholds()

    public init() {}
}

/// Estimates a Fellegi–Sunter model without labels: u from random pairs (and from pairs of MPI records sharing
/// a household), m by expectation–maximisation on two blocks, the prior from the first EM session.
///
/// EM runs on pairs with the same birth date (estimating every field but birth date) and on pairs with the same
/// given and family name (estimating birth date and the rest). Neither block makes relatives look alike, which
/// a postal-code block would: EM would then learn "same household" instead of "same person".
public enum ModelTrainer {
    public static func train(_ inputs: MatchInputs, options: TrainingOptions = .init()) -> FellegiSunterModel {
        let fields = MatchField.allCases
        let comparer = inputs.comparer
        let nIn = inputs.incoming.count
        let nMPI = inputs.mpi.count

        // u: random pairs.
        let randomPairs = min(options.randomPairs, nIn * nMPI)
        let uCounts = levelCounts(pairs: randomPairs, seed: options.seed, nIn: nIn, nMPI: nMPI, comparer: comparer)
        var u = fields.map { f in smoothed(uCounts[f.ordinal], levels: f.levelLabels.count) }

        // u among households: distinct MPI records sharing an address (with unit) or a phone.
        let (hhCounts, hhPairs) = householdLevelCounts(inputs)
        var uHousehold: [[Double]?] = fields.map { f in
            guard !f.isHouseholdField else { return nil }
            let c = Array(hhCounts[f.ordinal].prefix(f.levelLabels.count))
            let total = c.reduce(0, +)
            guard total >= 30 else { return nil }
            // Shrink toward the random-pair u with the weight of five pairs, so empty levels stay finite.
            return (0..<c.count).map { (Double(c[$0]) + 5 * u[f.ordinal][$0]) / Double(total + 5) }
        }

        // m by EM on two blocks.
        let sample = Swift.stride(from: 0, to: nIn, by: max(1, nIn / max(1, options.maxIncomingForEM))).map { $0 }
        let index = BlockingIndex(
            mpi: inputs.mpi, lexicon: inputs.lexicon, rules: [.birthDate, .names], maxBlockSize: 2000)
        // EM is driven by identity fields only; household fields ride along (their m comes from the posteriors),
        // so twins in the birth-date block and juniors in the names block are not taken for matches.
        let identity = fields.filter { !$0.isHouseholdField }
        let household = fields.filter(\.isHouseholdField)
        let dobFields = identity.filter { $0 != .birthDate }
        let nameFields = identity.filter { $0 != .givenName && $0 != .familyName }
        let dobPatterns = blockPatterns(inputs, index: index, rule: 0, sample: sample) { _, _ in true }
        let sameNames: @Sendable (Int, Int) -> Bool = { i, j in
            inputs.incoming.records[i].given == inputs.mpi.records[j].given
                && inputs.incoming.records[i].family == inputs.mpi.records[j].family
        }
        let namePatterns = blockPatterns(inputs, index: index, rule: 1, sample: sample, accept: sameNames)
        // Each incoming record is at most one person: the names block holds at most one match per incoming
        // record that has a namesake in the MPI. On a large MPI most of the block are namesakes.
        let incomingWithNamesakes = incomingInBlock(inputs, index: index, rule: 1, sample: sample, accept: sameNames)
        // Every pair of the birth-date block was born in one year, and given names follow birth cohorts: there
        // two strangers share a given name more often than two random records do. Session A compares given names
        // against the u of pairs born in the same year; with the random-pair u the excess of namesakes (on a 1M
        // MPI as many as the matches) was taken for matches whose family name and address had changed.
        var uSameYear = u
        if let cohort = sameBirthYearGivenLevels(inputs, pairs: min(options.randomPairs, 1_000_000), seed: options.seed)
        {
            uSameYear[MatchField.givenName.ordinal] = cohort
        }
        // Likewise every pair of the names block shares a given name, so two strangers in it were born closer in
        // time than two random records: session B compares birth dates against the u of namesakes by given name
        // with another family name.
        var uSameGiven = u
        if let cohort = sameGivenNameBirthLevels(inputs, pairs: min(options.randomPairs, 1_000_000), seed: options.seed)
        {
            uSameGiven[MatchField.birthDate.ordinal] = cohort
        }
        let a = expectationMaximisation(
            dobPatterns, fields: dobFields, passengers: household, u: uSameYear, maxIterations: options.maxEMIterations)
        // In the names block the identity fields left to drive EM (birth date, sex, SSN) are too few to tell
        // namesakes from matches on a large MPI (EM drifts to "all pairs match"), so the block's match share is
        // fixed from session A: the matches it implies times the share of matches that agree on both names.
        let dobPairsInSample = Double(dobPatterns.reduce(0) { $0 + $1.1 })
        let namePairsInSample = Double(namePatterns.reduce(0) { $0 + $1.1 })
        let presentBirth = fraction(inputs.incoming) * fraction(inputs.mpi)
        let givenExact = a.m[MatchField.givenName.ordinal]?[0] ?? 0.9
        let familyExact = a.m[MatchField.familyName.ordinal]?[0] ?? 0.9
        var birthExact = 0.9
        var b = EMResult(m: Array(repeating: nil, count: fields.count), lambda: 0, iterations: 0)
        for _ in 0..<4 {
            let matchesInSample = a.lambda * dobPairsInSample / max(0.05, birthExact * presentBirth)
            // Without the bound, namesakes taken for matches lower m(birth exact), which raises the implied
            // matches, which raises the share again: on a 100k MPI birth-date disagreement came to weigh nothing.
            let implied = matchesInSample * givenExact * familyExact
            let lambdaB = min(
                0.99, max(1e-6, min(implied, Double(incomingWithNamesakes)) / max(1, namePairsInSample)))
            b = expectationMaximisation(
                namePatterns, fields: nameFields, passengers: household, u: uSameGiven,
                maxIterations: options.maxEMIterations,
                fixedLambda: lambdaB)
            birthExact = b.m[MatchField.birthDate.ordinal]?[0] ?? birthExact
        }
        var m = fields.map { defaultM(levels: $0.levelLabels.count) }
        for f in fields {
            let estimates = [a.m[f.ordinal], b.m[f.ordinal]].compactMap { $0 }
            guard !estimates.isEmpty else { continue }
            m[f.ordinal] = (0..<estimates[0].count).map { l in
                estimates.map { $0[l] }.reduce(0, +) / Double(estimates.count)
            }
        }

        // The prior: matches in the birth-date block, scaled to all incoming records and divided by the share
        // of true matches that block holds (exact birth date, both present).
        let dobPairs = dobPatterns.reduce(0) { $0 + $1.1 }
        let scale = Double(nIn) / Double(max(1, sample.count))
        let present = fraction(inputs.incoming) * fraction(inputs.mpi)
        let matches = a.lambda * Double(dobPairs) * scale / max(0.05, m[MatchField.birthDate.ordinal][0] * present)
        // At most one match per incoming record; a patient may be matched by several (an incoming file is not
        // de-duplicated), so the MPI's size is no bound.
        let allPairs = Double(max(1, nIn)) * Double(max(1, nMPI))
        let lambda = min(max(matches, 1) / allPairs, Double(nIn) / allPairs, 0.5)

        // Floors keep every weight finite. A level that neither matches nor non-matches showed (both below
        // 1e-4) weighs nothing rather than the ratio of two floors.
        for f in fields.indices {
            m[f] = withDisagreementFloor(m[f])
            m[f] = m[f].map { max($0, 1e-5) }
            u[f] = u[f].map { max($0, 1e-7) }
            for l in m[f].indices where m[f][l] < 1e-4 && u[f][l] < 1e-4 { m[f][l] = u[f][l] }
            // Relatives agree at least as often as strangers: a household u below the random-pair u is noise
            // from few household pairs at that level.
            if var uh = uHousehold[f] {
                for l in 0..<(uh.count - 1) { uh[l] = max(uh[l], u[f][l]) }
                uHousehold[f] = uh
            }
        }
        let comparisons = fields.map { f in
            ComparisonModel(
                field: f, termFrequencyAdjusted: f == .givenName || f == .familyName,
                levels: f.levelLabels.enumerated().map { l, label in
                    LevelModel(
                        label: label, m: m[f.ordinal][l], u: u[f.ordinal][l], uHousehold: uHousehold[f.ordinal]?[l])
                })
        }
        let summary = TrainingSummary(
            randomPairsForU: randomPairs, householdPairsForU: hhPairs,
            emSessions: [
                EMSessionSummary(
                    blockedOn: "birth date", pairs: dobPairs, iterations: a.iterations,
                    estimatedFields: dobFields + household,
                    proportionMatched: a.lambda),
                EMSessionSummary(
                    blockedOn: "given and family name", pairs: namePatterns.reduce(0) { $0 + $1.1 },
                    iterations: b.iterations, estimatedFields: nameFields + household, proportionMatched: b.lambda),
            ])
        return FellegiSunterModel(
            probabilityTwoRandomRecordsMatch: lambda, comparisons: comparisons, thresholds: options.thresholds,
            capsHouseholdEvidence: hhPairs >= max(30, nMPI / 100),
            sameHome: sameHome(inputs, m: m), training: summary)
    }

    /// Street and postal code both exact. u is counted exactly over all (incoming, MPI) pairs (a join on the two
    /// values); m is the product of the two fields' exact m, a lower bound when a match's street and postal code
    /// agree together. Nil when no pair shares a home.
    static func sameHome(_ inputs: MatchInputs, m: [[Double]]) -> LevelModel? {
        func key(_ r: PersonCode) -> UInt64? {
            guard r.street >= 0, r.postal >= 0 else { return nil }
            return UInt64(UInt32(r.street)) << 32 | UInt64(UInt32(r.postal))
        }
        var homes: [UInt64: Int] = [:]
        for r in inputs.mpi.records { if let k = key(r) { homes[k, default: 0] += 1 } }
        var shared = 0
        for r in inputs.incoming.records { if let k = key(r) { shared += homes[k] ?? 0 } }
        let pairs = Double(inputs.incoming.count) * Double(inputs.mpi.count)
        guard shared > 0, pairs > 0 else { return nil }
        let mHome = m[MatchField.street.ordinal][0] * m[MatchField.postalCode.ordinal][0]
        return LevelModel(label: "street and postal code exact", m: mHome, u: Double(shared) / pairs)
    }

    /// The least m of a field's disagreement level: every field is mistyped now and then by someone, even where
    /// the training data shows no such error (no sex or SSN ever wrong in one synthetic world), so one
    /// disagreement weighs at most about log2(1/200) against a pair rather than log2(1e-5).
    static let minimumDisagreementM = 0.005

    /// `m` with its last (else) level raised to `minimumDisagreementM`, the other levels scaled to keep the sum.
    static func withDisagreementFloor(_ m: [Double]) -> [Double] {
        guard let last = m.last, last < minimumDisagreementM, m.count > 1 else { return m }
        let rest = m.dropLast().reduce(0, +)
        guard rest > 0 else { return m }
        let scale = (1 - minimumDisagreementM) / rest
        return m.dropLast().map { $0 * scale } + [minimumDisagreementM]
    }

    static func fraction(_ people: EncodedPeople) -> Double {
        people.count == 0 ? 0 : Double(people.records.filter { $0.birth != 0 }.count) / Double(people.count)
    }

    static func defaultM(levels: Int) -> [Double] {
        var m = [Double](repeating: 0.1 / Double(max(1, levels - 2)), count: levels)
        m[0] = 0.85
        m[levels - 1] = 0.05
        let s = m.reduce(0, +)
        return m.map { $0 / s }
    }

    /// Level proportions with half a count added to each level, so unseen levels keep a small probability.
    static func smoothed(_ counts: [Int], levels: Int) -> [Double] {
        let c = counts.prefix(levels)
        let total = Double(c.reduce(0, +)) + 0.5 * Double(levels)
        return c.map { (Double($0) + 0.5) / total }
    }

    /// Level counts per field (16 slots each) over `pairs` random pairs.
    static func levelCounts(pairs: Int, seed: UInt64, nIn: Int, nMPI: Int, comparer: PairComparer) -> [[Int]] {
        let fieldCount = MatchField.allCases.count
        guard pairs > 0 else { return Array(repeating: Array(repeating: 0, count: 16), count: fieldCount) }
        let chunk = 1 << 16
        let partial = Parallel.map(count: pairs, chunkSize: chunk) { range -> [Int] in
            var rng = SplitMix64(seed: seed &+ UInt64(range.lowerBound))
            var counts = [Int](repeating: 0, count: fieldCount * 16)
            for _ in range {
                let i = Int(rng.next() % UInt64(nIn))
                let j = Int(rng.next() % UInt64(nMPI))
                let v = comparer.levels(i, j)
                for f in 0..<fieldCount {
                    let l = v.level(f)
                    if l != 15 { counts[f * 16 + l] += 1 }
                }
            }
            return counts
        }
        var total = [Int](repeating: 0, count: fieldCount * 16)
        for (k, c) in partial.enumerated() { total[k % (fieldCount * 16)] += c }
        return (0..<fieldCount).map { Array(total[($0 * 16)..<($0 * 16 + 16)]) }
    }

    /// Level counts over pairs of distinct MPI records that share an address (street and unit) or a phone.
    static func householdLevelCounts(_ inputs: MatchInputs) -> ([[Int]], Int) {
        let mpi = inputs.mpi
        let fieldCount = MatchField.allCases.count
        var groups: [UInt64: [Int32]] = [:]
        for i in 0..<mpi.count {
            if mpi.records[i].street >= 0 {
                let key =
                    UInt64(UInt32(mpi.records[i].street)) << 32 ^ UInt64(UInt32(bitPattern: mpi.records[i].unit)) << 8
                    ^ UInt64(UInt32(max(0, mpi.records[i].postal)))
                groups[key | 1 << 63, default: []].append(Int32(i))
            }
            if mpi.records[i].phone >= 0 { groups[UInt64(mpi.records[i].phone), default: []].append(Int32(i)) }
        }
        let comparer = PairComparer(lexicon: inputs.lexicon, left: mpi, right: mpi)
        var counts = [Int](repeating: 0, count: fieldCount * 16)
        var seen = Set<UInt64>()
        var pairs = 0
        // Buildings and shelters share an address with many unrelated people: keep blocks of family size.
        for key in groups.keys.sorted() {
            let members = groups[key]!
            guard members.count >= 2, members.count <= 12 else { continue }
            for x in 0..<members.count {
                for y in (x + 1)..<members.count {
                    let pairKey = UInt64(UInt32(members[x])) << 32 | UInt64(UInt32(members[y]))
                    guard seen.insert(pairKey).inserted else { continue }
                    let v = comparer.levels(Int(members[x]), Int(members[y]))
                    for f in 0..<fieldCount {
                        let l = v.level(f)
                        if l != 15 { counts[f * 16 + l] += 1 }
                    }
                    pairs += 1
                }
            }
            if pairs >= 2_000_000 { break }
        }
        return ((0..<fieldCount).map { Array(counts[($0 * 16)..<($0 * 16 + 16)]) }, pairs)
    }

    /// Histogram of level vectors over the pairs of one blocking rule, for a sample of incoming records.
    static func blockPatterns(
        _ inputs: MatchInputs, index: BlockingIndex, rule r: Int, sample: [Int],
        accept: @Sendable (Int, Int) -> Bool
    ) -> [(UInt64, Int)] {
        let comparer = inputs.comparer
        let partial = Parallel.map(count: sample.count, chunkSize: 4096) { range -> [(UInt64, Int)] in
            var hist: [UInt64: Int] = [:]
            for s in range {
                let i = sample[s]
                guard let key = index.rules[r].key(inputs.incoming, i, inputs.lexicon) else { continue }
                let block = index.block(r, key)
                if block.count > index.maxBlockSize { continue }
                for k in block {
                    let j = Int(index.members[r][k])
                    guard accept(i, j) else { continue }
                    hist[comparer.levels(i, j).levelsOnly, default: 0] += 1
                }
            }
            return Array(hist)
        }
        var merged: [UInt64: Int] = [:]
        for (k, c) in partial { merged[k, default: 0] += c }
        return merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// How many records of `sample` have at least one accepted pair in the block of rule `r`.
    static func incomingInBlock(
        _ inputs: MatchInputs, index: BlockingIndex, rule r: Int, sample: [Int], accept: @Sendable (Int, Int) -> Bool
    ) -> Int {
        let partial = Parallel.map(count: sample.count, chunkSize: 4096) { range -> [Int] in
            var n = 0
            for s in range {
                let i = sample[s]
                guard let key = index.rules[r].key(inputs.incoming, i, inputs.lexicon) else { continue }
                let block = index.block(r, key)
                if block.count > index.maxBlockSize { continue }
                if block.contains(where: { accept(i, Int(index.members[r][$0])) }) { n += 1 }
            }
            return [n]
        }
        return partial.reduce(0, +)
    }

    /// Given-name level proportions over random pairs born in the same year but not on the same day (nearly all
    /// different people), or nil when fewer than 1,000 such pairs turn up.
    static func sameBirthYearGivenLevels(_ inputs: MatchInputs, pairs: Int, seed: UInt64) -> [Double]? {
        let mpi = inputs.mpi
        let incoming = inputs.incoming
        var cohorts: [Int32: [Int32]] = [:]
        for j in 0..<mpi.count where mpi.records[j].birth != 0 {
            cohorts[mpi.birthYear(j), default: []].append(Int32(j))
        }
        let byYear = cohorts
        let withBirth = (0..<incoming.count).filter { incoming.records[$0].birth != 0 }
        guard !withBirth.isEmpty, !byYear.isEmpty, pairs > 0 else { return nil }
        let comparer = inputs.comparer
        let given = MatchField.givenName
        let chunk = 1 << 16
        let partial = Parallel.map(count: pairs, chunkSize: chunk) { range -> [Int] in
            var rng = SplitMix64(seed: seed ^ 0x5EED_C0_4087 &+ UInt64(range.lowerBound))
            var counts = [Int](repeating: 0, count: 16)
            for _ in range {
                let i = withBirth[Int(rng.next() % UInt64(withBirth.count))]
                guard let cohort = byYear[incoming.birthYear(i)] else { continue }
                let j = Int(cohort[Int(rng.next() % UInt64(cohort.count))])
                guard mpi.records[j].birth != incoming.records[i].birth else { continue }
                let l = comparer.levels(i, j).level(given.ordinal)
                if l != 15 { counts[l] += 1 }
            }
            return counts
        }
        var total = [Int](repeating: 0, count: 16)
        for (k, c) in partial.enumerated() { total[k % 16] += c }
        guard total.reduce(0, +) >= 1_000 else { return nil }
        return smoothed(total, levels: given.levelLabels.count)
    }

    /// Birth-date level proportions over random pairs with the same given name and another family name (nearly
    /// all different people), or nil when fewer than 1,000 such pairs turn up.
    static func sameGivenNameBirthLevels(_ inputs: MatchInputs, pairs: Int, seed: UInt64) -> [Double]? {
        let mpi = inputs.mpi
        let incoming = inputs.incoming
        var namesakes: [Int32: [Int32]] = [:]
        for j in 0..<mpi.count where mpi.records[j].birth != 0 && mpi.records[j].given >= 0 {
            namesakes[mpi.records[j].given, default: []].append(Int32(j))
        }
        let byGiven = namesakes
        let usable = (0..<incoming.count).filter {
            incoming.records[$0].birth != 0 && byGiven[incoming.records[$0].given] != nil
        }
        guard !usable.isEmpty, pairs > 0 else { return nil }
        let comparer = inputs.comparer
        let birth = MatchField.birthDate
        let partial = Parallel.map(count: pairs, chunkSize: 1 << 16) { range -> [Int] in
            var rng = SplitMix64(seed: seed ^ 0xB1_27_4D_A7E5 &+ UInt64(range.lowerBound))
            var counts = [Int](repeating: 0, count: 16)
            for _ in range {
                let i = usable[Int(rng.next() % UInt64(usable.count))]
                guard let same = byGiven[incoming.records[i].given] else { continue }
                let j = Int(same[Int(rng.next() % UInt64(same.count))])
                guard mpi.records[j].family != incoming.records[i].family else { continue }
                let l = comparer.levels(i, j).level(birth.ordinal)
                if l != 15 { counts[l] += 1 }
            }
            return counts
        }
        var total = [Int](repeating: 0, count: 16)
        for (k, c) in partial.enumerated() { total[k % 16] += c }
        guard total.reduce(0, +) >= 1_000 else { return nil }
        return smoothed(total, levels: birth.levelLabels.count)
    }

    struct EMResult {
        var m: [[Double]?]
        var lambda: Double
        var iterations: Int
    }

    /// EM for m and the match proportion with u held fixed. `fields` drive the posterior; `passengers` only
    /// get their m from it.
    static func expectationMaximisation(
        _ patterns: [(UInt64, Int)], fields driving: [MatchField], passengers: [MatchField] = [], u: [[Double]],
        maxIterations: Int, fixedLambda: Double? = nil
    ) -> EMResult {
        var m: [[Double]?] = Array(repeating: nil, count: MatchField.allCases.count)
        guard patterns.count > 0 else { return EMResult(m: m, lambda: 0, iterations: 0) }
        let fields = driving + passengers
        for f in fields { m[f.ordinal] = defaultM(levels: f.levelLabels.count) }
        var lambda = fixedLambda ?? 0.1
        var iterations = 0
        for iteration in 1...maxIterations {
            iterations = iteration
            var mNum = fields.map { [Double](repeating: 0, count: $0.levelLabels.count) }
            var matched = 0.0
            var total = 0.0
            for (pattern, count) in patterns {
                let v = LevelVector(raw: pattern)
                var logBF = 0.0
                let namesAgree = v.level(PairComparer.given) <= 1
                for f in driving {
                    let l = v.level(f.ordinal)
                    if l == 15 { continue }
                    // A given name tells the sex: when the names agree, so does sex, match or not.
                    if f == .sex && namesAgree { continue }
                    logBF += log(max(m[f.ordinal]![l], 1e-12) / max(u[f.ordinal][l], 1e-12))
                }
                let odds = lambda / (1 - lambda) * exp(min(logBF, 700))
                let p = odds.isInfinite ? 1 : odds / (1 + odds)
                let c = Double(count)
                matched += p * c
                total += c
                for (k, f) in fields.enumerated() {
                    let l = v.level(f.ordinal)
                    if l != 15 { mNum[k][l] += p * c }
                }
            }
            var change = fixedLambda == nil ? abs(matched / total - lambda) : 0
            if fixedLambda == nil { lambda = min(max(matched / total, 1e-9), 1 - 1e-9) }
            for (k, f) in fields.enumerated() {
                let s = mNum[k].reduce(0, +)
                guard s > 0 else { continue }
                let new = mNum[k].map { $0 / s }
                change = max(change, zip(new, m[f.ordinal]!).map { abs($0 - $1) }.max() ?? 0)
                m[f.ordinal] = new
            }
            if change < 1e-6 { break }
        }
        return EMResult(m: m, lambda: lambda, iterations: iterations)
    }
}
