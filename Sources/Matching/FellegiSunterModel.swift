import Foundation
import LastMileCore

/// Trained Fellegi–Sunter parameters: per field and level, m and u, plus the prior and the decision thresholds.
///
/// Saved as pretty-printed JSON (`pipelines/match-model.json`) so a change of the model reads as a diff.
/// `match_weight` values in the file are log2(m/u), written for the reader and recomputed on load.
public struct FellegiSunterModel: Codable, Sendable, Equatable {
    public var formatVersion: Int = 1
    /// λ: the probability that two records drawn at random, one from each input, are the same person.
    public var probabilityTwoRandomRecordsMatch: Double
    public var comparisons: [ComparisonModel]
    public var thresholds: DecisionThresholds
    /// When true, agreement on address, city, postal code or phone counts for nothing (weight capped at 0) in a
    /// pair whose given name or birth date disagrees: relatives share those fields. Training sets it when the
    /// MPI has households (records sharing an address or phone); data without them (FEBRL) keeps full weights.
    public var capsHouseholdEvidence: Bool
    /// Street address and postal code both exact: one home. Where street names repeat across towns (a street
    /// agrees far more often than a home does), this joint agreement weighs more than the street alone; nil in
    /// models trained before it was estimated (then only the strongest household agreement counts).
    public var sameHome: LevelModel?
    /// How the parameters were estimated (pair counts, EM iterations); informational.
    public var training: TrainingSummary?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case probabilityTwoRandomRecordsMatch = "probability_two_random_records_match"
        case comparisons, thresholds, training
        case capsHouseholdEvidence = "caps_household_evidence"
        case sameHome = "same_home"
    }

    public init(
        probabilityTwoRandomRecordsMatch: Double, comparisons: [ComparisonModel],
        thresholds: DecisionThresholds = .init(), capsHouseholdEvidence: Bool = true, sameHome: LevelModel? = nil,
        training: TrainingSummary? = nil
    ) {
        self.probabilityTwoRandomRecordsMatch = probabilityTwoRandomRecordsMatch
        self.sameHome = sameHome
        self.capsHouseholdEvidence = capsHouseholdEvidence
        self.comparisons = comparisons
        self.thresholds = thresholds
        self.training = training
    }

    /// The comparison for `field`, if the model has it.
    public func comparison(_ field: MatchField) -> ComparisonModel? { comparisons.first { $0.field == field } }

    /// Pretty JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes and validates a model file's contents.
    public static func load(json: Data) throws -> FellegiSunterModel {
        let model = try JSONDecoder().decode(FellegiSunterModel.self, from: json)
        try model.validate()
        return model
    }

    /// Checks that each comparison has the levels this version of the code computes, and probabilities in range.
    public func validate() throws {
        guard formatVersion == 1 else { throw ModelError.unsupportedVersion(formatVersion) }
        guard probabilityTwoRandomRecordsMatch > 0, probabilityTwoRandomRecordsMatch < 1 else {
            throw ModelError.invalid("probability_two_random_records_match must be in (0, 1)")
        }
        for c in comparisons {
            guard c.levels.map(\.label) == c.field.levelLabels else {
                throw ModelError.invalid("comparison \(c.field.rawValue): levels must be \(c.field.levelLabels)")
            }
            for l in c.levels {
                guard l.m > 0, l.m <= 1, l.u > 0, l.u <= 1 else {
                    throw ModelError.invalid(
                        "comparison \(c.field.rawValue), level \(l.label): m and u must be in (0, 1]")
                }
            }
        }
        if let home = sameHome, !(home.m > 0 && home.m <= 1 && home.u > 0 && home.u <= 1) {
            throw ModelError.invalid("same_home: m and u must be in (0, 1]")
        }
        let t = thresholds
        guard t.review <= t.match, t.match <= 1, t.review >= 0, t.tieMarginBits >= 0 else {
            throw ModelError.invalid("thresholds: need 0 <= review <= match <= 1 and tie_margin_bits >= 0")
        }
    }
}

/// What went wrong with a model file.
public enum ModelError: Error, ClassifiedError, CustomStringConvertible {
    case unsupportedVersion(Int)
    case invalid(String)

    public var exitStatus: ExitStatus { .configuration }
    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "match model format_version \(v) is not supported (expected 1)"
        case .invalid(let what): "match model: \(what)"
        }
    }
}

/// One field's comparison levels with their parameters.
public struct ComparisonModel: Codable, Sendable, Equatable {
    public var field: MatchField
    /// Exact agreement weighs log2(m / frequency of the value) instead of log2(m/u): rare names count more.
    public var termFrequencyAdjusted: Bool
    public var levels: [LevelModel]

    enum CodingKeys: String, CodingKey {
        case field
        case termFrequencyAdjusted = "term_frequency_adjusted"
        case levels
    }

    public init(field: MatchField, termFrequencyAdjusted: Bool, levels: [LevelModel]) {
        self.field = field
        self.termFrequencyAdjusted = termFrequencyAdjusted
        self.levels = levels
    }
}

/// One comparison level: P(level | match) = m, P(level | non-match) = u.
public struct LevelModel: Codable, Sendable, Equatable {
    public var label: String
    public var m: Double
    public var u: Double
    /// u among pairs of different people who share an address or phone (a household); nil when not estimated.
    public var uHousehold: Double?

    enum CodingKeys: String, CodingKey {
        case label, m, u
        case uHousehold = "u_household"
        case matchWeight = "match_weight"
        case householdMatchWeight = "household_match_weight"
    }

    public init(label: String, m: Double, u: Double, uHousehold: Double? = nil) {
        self.label = label
        self.m = m
        self.u = u
        self.uHousehold = uHousehold
    }

    /// log2(m/u), the level's weight for pairs outside a shared household.
    public var matchWeight: Double { log2(m / u) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.decode(String.self, forKey: .label)
        m = try c.decode(Double.self, forKey: .m)
        u = try c.decode(Double.self, forKey: .u)
        uHousehold = try c.decodeIfPresent(Double.self, forKey: .uHousehold)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(Self.rounded(m), forKey: .m)
        try c.encode(Self.rounded(u), forKey: .u)
        try c.encode(Self.rounded(matchWeight), forKey: .matchWeight)
        if let uh = uHousehold {
            try c.encode(Self.rounded(uh), forKey: .uHousehold)
            try c.encode(Self.rounded(log2(m / uh)), forKey: .householdMatchWeight)
        }
    }

    /// Six significant digits keep the file readable and diffs small.
    static func rounded(_ x: Double) -> Double {
        guard x != 0, x.isFinite else { return x }
        let digits = 6 - Int(floor(log10(abs(x)))) - 1
        let scale = pow(10.0, Double(digits))
        return (x * scale).rounded() / scale
    }
}

/// Match probability cut-offs and the tie rule.
public struct DecisionThresholds: Codable, Sendable, Equatable {
    /// At or above: auto-link (when no near tie).
    public var match: Double = 0.95
    /// At or above (and below `match`, or in a near tie): review.
    public var review: Double = 0.5
    /// A runner-up within this many bits of match weight of the best (and itself above `review`) sends the
    /// incoming record to review instead of auto-linking.
    public var tieMarginBits: Double = 4

    enum CodingKeys: String, CodingKey {
        case match, review
        case tieMarginBits = "tie_margin_bits"
    }

    public init(match: Double = 0.95, review: Double = 0.5, tieMarginBits: Double = 4) {
        self.match = match
        self.review = review
        self.tieMarginBits = tieMarginBits
    }
}

/// Counts from training, kept in the model file for the reviewer.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var randomPairsForU: Int
    public var householdPairsForU: Int
    public var emSessions: [EMSessionSummary]

    enum CodingKeys: String, CodingKey {
        case randomPairsForU = "random_pairs_for_u"
        case householdPairsForU = "household_pairs_for_u"
        case emSessions = "em_sessions"
    }
}

/// One EM run: which pairs it used and which fields it estimated.
public struct EMSessionSummary: Codable, Sendable, Equatable {
    public var blockedOn: String
    public var pairs: Int
    public var iterations: Int
    public var estimatedFields: [MatchField]
    public var proportionMatched: Double

    enum CodingKeys: String, CodingKey {
        case blockedOn = "blocked_on"
        case pairs, iterations
        case estimatedFields = "estimated_fields"
        case proportionMatched = "proportion_matched"
    }
}
