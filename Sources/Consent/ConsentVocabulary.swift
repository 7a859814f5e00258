// The consent stage: policy model, consent directives, the two gates and their reasons. No I/O.
import LastMileCore

/// A v3 PurposeOfUse code (TREAT, PUBHLTH …): why data is used or disclosed.
public struct PurposeOfUse: RawRepresentable, Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let treatment = PurposeOfUse(rawValue: "TREAT")
    public static let emergencyTreatment = PurposeOfUse(rawValue: "ETREAT")
    public static let careManagement = PurposeOfUse(rawValue: "CAREMGT")
    public static let coordinationOfCare = PurposeOfUse(rawValue: "COC")
    public static let publicHealth = PurposeOfUse(rawValue: "PUBHLTH")
    public static let research = PurposeOfUse(rawValue: "HRESCH")
    public static let operations = PurposeOfUse(rawValue: "HOPERAT")
    public static let payment = PurposeOfUse(rawValue: "HPAYMT")

    /// The v3 PurposeOfUse codes lastmile accepts in policies and directives.
    public static let known: [String] = [
        "TREAT", "ETREAT", "CAREMGT", "COC", "CLINTRCH", "POPHLTH", "PUBHLTH", "HRESCH", "HOPERAT", "HPAYMT",
        "HMARKT", "HSYSADMIN", "PATRQT", "FAMRQT", "PWATRNY", "SUPNWK", "DISASTER", "THREAT", "HLEGAL",
        "HDIRECT", "HQUALIMP", "CAREPLAN", "COVERAGE", "TRANSRCH",
    ]

    public var description: String { rawValue }
    public static func < (a: PurposeOfUse, b: PurposeOfUse) -> Bool { a.rawValue < b.rawValue }
}

/// Who receives data at delivery: a practice, the roles it acts in, or both.
///
/// A directive actor `practice:<id>` matches `practiceId`; `role:<role>` matches any of `roles`.
public struct Recipient: Sendable, Hashable, CustomStringConvertible {
    public var practiceId: String?
    public var roles: Set<String>

    public init(practiceId: String? = nil, roles: Set<String> = []) {
        self.practiceId = practiceId
        self.roles = roles
    }

    /// A Monday-list recipient: the practice, acting as pediatrics.
    public static func pediatricPractice(_ practiceId: String) -> Recipient {
        Recipient(practiceId: practiceId, roles: ["pediatrics"])
    }

    /// Parses `practice:<id>` or `role:<role>` (the CSV and CLI spelling); nil for anything else.
    public init?(token: String) {
        guard let actor = ConsentActor(token: token) else { return nil }
        switch actor {
        case .practice(let id): self.init(practiceId: id)
        case .role(let role): self.init(roles: [role])
        }
    }

    public var description: String {
        var parts: [String] = []
        if let practiceId { parts.append("practice:\(practiceId)") }
        parts += roles.sorted().map { "role:\($0)" }
        return parts.isEmpty ? "(no recipient)" : parts.joined(separator: " ")
    }
}

/// A recipient named in a directive's provision: one practice or everyone acting in one role.
public enum ConsentActor: Sendable, Hashable, Comparable, CustomStringConvertible {
    case practice(String)
    case role(String)

    /// Parses `practice:<id>` or `role:<role>`; nil for anything else or an empty id.
    public init?(token: String) {
        if token.hasPrefix("practice:"), token.count > 9 {
            self = .practice(String(token.dropFirst(9)))
        } else if token.hasPrefix("role:"), token.count > 5 {
            self = .role(String(token.dropFirst(5)))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .practice(let id): "practice:\(id)"
        case .role(let role): "role:\(role)"
        }
    }

    /// Whether this actor names the given recipient.
    public func names(_ recipient: Recipient) -> Bool {
        switch self {
        case .practice(let id): recipient.practiceId == id
        case .role(let role): recipient.roles.contains(role)
        }
    }

    public static func < (a: ConsentActor, b: ConsentActor) -> Bool { a.description < b.description }
}

extension ConsentActor: Codable {
    /// Decodes the token form, `practice:<id>` or `role:<role>`.
    public init(from decoder: any Decoder) throws {
        let token = try decoder.singleValueContainer().decode(String.self)
        guard let actor = ConsentActor(token: token) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected practice:<id> or role:<role>"))
        }
        self = actor
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Who gave a directive: the patient, a parent, a legal guardian or a court.
public enum GrantorRole: String, Sendable, Hashable, Codable, CaseIterable {
    case `self`
    case parent
    case guardian
    case court

    /// Parents and guardians act for a minor; their authority can end at the age of majority.
    public var isParental: Bool { self == .parent || self == .guardian }
}

/// Permit or deny, as FHIR `Consent.provision.type`.
public enum ProvisionType: String, Sendable, Hashable, Codable, CaseIterable {
    case permit
    case deny
}

/// An inclusive range of days; either end may be open.
public struct DateRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var start: CivilDate?
    public var end: CivilDate?

    public init(start: CivilDate? = nil, end: CivilDate? = nil) {
        self.start = start
        self.end = end
    }

    /// Whether `date` lies in the range (both ends included).
    public func contains(_ date: CivilDate) -> Bool {
        if let start, date < start { return false }
        if let end, date > end { return false }
        return true
    }

    public var description: String {
        "\(start.map(String.init(describing:)) ?? "…")..\(end.map(String.init(describing:)) ?? "…")"
    }
}

extension DataCategory {
    /// The DS4P security labels lastmile puts on data of this category (see docs/consent.md).
    ///
    /// A provision scoped by security label applies to a category when the two sets meet.
    public var securityLabels: Set<String> {
        switch self {
        case .education, .justice: ["R", "SOC"]
        case .shelter, .housing: ["R", "SOC", "LIVARG"]
        }
    }
}
