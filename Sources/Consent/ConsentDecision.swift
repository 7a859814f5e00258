import LastMileCore

/// A stable code for why consent decided as it did; the run ledger counts decisions by it.
///
/// Codes starting `drop.` come from gate 1, `admit.` from gate 1's pass, `permit.`/`deny.` from gate 2 and
/// delivery. The raw values are part of the ledger and the docs: never rename one.
public enum ReasonCode: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    // Gate 1
    case admitAgreement = "admit.agreement"
    case dropAgreementMissing = "drop.agreement-missing"
    case dropAgreementExpired = "drop.agreement-expired"
    case dropAgreementNotYetEffective = "drop.agreement-not-yet-effective"
    case dropAgreementPurposeNotCovered = "drop.agreement-purpose-not-covered"
    case dropLabelVictimServiceProvider = "drop.label.victim-service-provider"
    case dropLabelJuvenile = "drop.label.juvenile"
    case dropLabelFerpaBasisMissing = "drop.label.ferpa-basis-missing"
    case dropLabelSealed = "drop.label.sealed"
    case dropLabelCurrentlyFleeing = "drop.label.currently-fleeing"
    /// A label the extractor set that the policy does not list: dropped all the same.
    case dropLabelOther = "drop.label.other"
    case dropMinorJustice = "drop.minor-justice"
    // Gate 2 and delivery
    case permitDirective = "permit.directive"
    case permitDefaultOptOut = "permit.default-opt-out"
    case denyDirective = "deny.directive"
    case denyDefaultOptIn = "deny.default-opt-in"
    case denyAgreementMissing = "deny.agreement-missing"
    case denyAgreementExpired = "deny.agreement-expired"
    case denyAgreementNotYetEffective = "deny.agreement-not-yet-effective"
    case denyAgreementPurposeNotCovered = "deny.agreement-purpose-not-covered"
    case denyAgreementRecipientNotCovered = "deny.agreement-recipient-not-covered"
    case denyAgreementRequiresPermit = "deny.agreement-requires-permit"
    case denyMinorParentalExpired = "deny.minor-parental-expired"
    case denyMinorProtectedCategory = "deny.minor-protected-category"
    case denyNotMatched = "deny.not-matched"
    case denyReviewPending = "deny.review-pending"

    /// Whether data passes under this reason.
    public var passes: Bool { self == .admitAgreement || self == .permitDirective || self == .permitDefaultOptOut }

    /// The gate 1 reason for a restriction label.
    public static func drop(label: RestrictionLabel) -> ReasonCode {
        switch label {
        case .victimServiceProvider: .dropLabelVictimServiceProvider
        case .juvenile: .dropLabelJuvenile
        case .ferpaBasisMissing: .dropLabelFerpaBasisMissing
        case .sealed: .dropLabelSealed
        case .currentlyFleeing: .dropLabelCurrentlyFleeing
        default: .dropLabelOther
        }
    }

    public static func < (a: ReasonCode, b: ReasonCode) -> Bool { a.rawValue < b.rawValue }
}

/// A consent decision: pass or not, the reason code, and what decided, without personal data.
public struct ConsentDecision: Sendable, Hashable, CustomStringConvertible {
    public var reason: ReasonCode
    /// The directives that decided (for `permit.directive` / `deny.directive`), sorted.
    public var directiveIds: [String]
    /// The policy rule that decided, e.g. `agreements[riverside-usd-dsa-2026]`, `minors.age_of_majority`, `model`.
    public var rule: String
    /// One sentence naming the directive or rule; never a name, date of birth or other personal value.
    public var explanation: String

    public init(reason: ReasonCode, directiveIds: [String] = [], rule: String, explanation: String) {
        self.reason = reason
        self.directiveIds = directiveIds
        self.rule = rule
        self.explanation = explanation
    }

    /// Whether the data passes.
    public var passes: Bool { reason.passes }

    public var description: String { "\(reason.rawValue): \(explanation)" }
}

/// Counts of decisions by reason, for the run ledger.
public struct DecisionTally: Sendable, Hashable, Codable {
    public private(set) var counts: [ReasonCode: Int] = [:]

    public init() {}

    public mutating func record(_ decision: ConsentDecision) { counts[decision.reason, default: 0] += 1 }

    public mutating func record(_ reason: ReasonCode, count: Int = 1) { counts[reason, default: 0] += count }

    public mutating func merge(_ other: DecisionTally) {
        for (reason, n) in other.counts { counts[reason, default: 0] += n }
    }

    public subscript(reason: ReasonCode) -> Int { counts[reason] ?? 0 }

    /// Every decision counted.
    public var total: Int { counts.values.reduce(0, +) }
    /// Decisions that let data through (`admit.`, `permit.`).
    public var passed: Int { counts.filter { $0.key.passes }.map(\.value).reduce(0, +) }
    /// Decisions that stopped data (`drop.`, `deny.`).
    public var stopped: Int { total - passed }

    /// `reason count` lines in reason order, for the run summary.
    public var summaryLines: [String] { counts.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" } }

    /// The counts keyed by reason code string, for a JSON ledger column.
    public var byCode: [String: Int] { Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }) }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: Int].self)
        for (code, n) in raw {
            guard let reason = ReasonCode(rawValue: code) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown consent reason code"))
            }
            counts[reason] = n
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(byCode)
    }
}
