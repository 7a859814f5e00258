/// The matcher's verdict on one incoming person.
public enum MatchDecision: String, Sendable, Hashable, Codable {
    /// Linked to a patient automatically.
    case match
    /// Uncertain: a person decides; carries no flag until then.
    case review
    /// No patient is likely enough.
    case noMatch = "no-match"
}

/// The contribution of one compared field to a pair's match weight (log2 Bayes factor).
public struct FieldWeight: Sendable, Hashable, Codable {
    public var field: String
    /// The comparison level's label, e.g. "exact", "Jaro–Winkler ≥ 0.92", "day/month swapped".
    public var level: String
    public var weight: Double

    public init(field: String, level: String, weight: Double) {
        self.field = field
        self.level = level
        self.weight = weight
    }
}

/// A match decision with the best candidate patient and why.
public struct MatchResult: Sendable, Hashable {
    public var decision: MatchDecision
    /// The best candidate's patient id; nil when there was no candidate.
    public var patientId: String?
    /// Posterior match probability of the best candidate, 0…1.
    public var probability: Double
    public var fieldWeights: [FieldWeight]

    public init(decision: MatchDecision, patientId: String?, probability: Double, fieldWeights: [FieldWeight] = []) {
        self.decision = decision
        self.patientId = patientId
        self.probability = probability
        self.fieldWeights = fieldWeights
    }
}
